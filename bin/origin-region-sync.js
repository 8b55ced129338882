#!/usr/bin/env -S node --max-semi-space-size=8
// Entry point. The sources are TypeScript run by Node's own type stripping (Node >= 22.18), so an older
// node re-runs this command through scripts/node24.sh, which fetches Node 24 LTS when needed.
// --max-semi-space-size=8 (the shebang and the re-run): the Dockerfile's ENTRYPOINT says why.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  const { runCli } = await import('../src/cli.ts');
  await runCli(process.argv);
} else {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const r = spawnSync('sh', [join(root, 'scripts/node24.sh'), 'node', '--max-semi-space-size=8', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (r.error) {
    console.error(`origin-region-sync needs Node.js >= 22.18 (this is ${process.version}); install Node.js 24 LTS`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
