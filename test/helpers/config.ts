import { ConfigError } from '../../src/config/errors.ts';
import { parseConfig } from '../../src/config/load.ts';

/** The problems the loader names for a configuration text; fails the test if it loads. */
export async function configIssues(text: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    await parseConfig(text, '/etc/ors/config.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
