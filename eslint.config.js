// Lint rules: the recommended sets, plus the few that catch real bugs in async queue code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TOP = { group: ['**/server/**', '**/commands/**', '**/demo/**', '**/cli.ts'], message: 'the HTTP server, the commands and the demo sit on top: nothing below them imports them' };
const NO_BULLMQ = { group: ['bullmq'], message: 'src/pipeline/ is the only code that knows BullMQ (types are fine)' };
const PURE = { group: ['ioredis', 'node:fs*', '**/pipeline/**', '**/state/**', '**/events/**', '**/cloudflare/client*', '**/connectors/*/**'], message: 'src/reconcile/ is the pure planner: state in, plan out, no I/O' };
const CONNECTOR = { group: ['bullmq', 'ioredis', '**/src/pipeline/**', '**/src/server/**', '**/src/state/**', '**/src/cloudflare/**', '**/src/reconcile/**', '**/src/commands/**'], message: 'a connector knows its vendor and nothing of Cloudflare, queues, zones or Redis' };
const NO_FAKES = { group: ['**/emulators/**'], message: 'the fakes and the Cloudflare emulator serve tests, the demo and `emulate`: the daemon never imports them (generic HTTP helpers are in src/http/)' };
const HTTP = { group: ['**/emulators/**', '**/connectors/**', '**/pipeline/**', '**/state/**', '**/events/**', '**/cloudflare/**', '**/reconcile/**', 'ioredis'], message: 'src/http/ holds generic node:http helpers: it imports nothing of the project' };
const CLIENT = { group: ['ioredis', '**/pipeline/**', '**/state/**', '**/events/**', '**/connectors/**'], message: 'src/cloudflare/ is the Cloudflare client only: no queue, no Redis state, no vendor' };

/**
 * One no-restricted-imports block per folder with all its rules together (a later block for the same
 * file would replace an earlier one's). Type-only imports are allowed: they vanish at run time.
 */
function boundaries(byFolder) {
  return Object.entries(byFolder).map(([folder, rules]) => ({
    files: [`${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: rules.map((r) => ({ ...r, allowTypeImports: true })) }] },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.node/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Boundaries between the folders (docs/design.md, Layout): what each folder must not import.
  ...boundaries({
    'src/reconcile': [PURE, TOP, NO_BULLMQ, NO_FAKES],
    'connectors': [CONNECTOR, NO_FAKES],
    'src/cloudflare': [CLIENT, TOP, NO_BULLMQ, NO_FAKES],
    'src/model': [TOP, NO_BULLMQ, NO_FAKES],
    'src/config': [TOP, NO_BULLMQ, NO_FAKES],
    'src/state': [TOP, NO_BULLMQ, NO_FAKES],
    'src/metrics': [TOP, NO_FAKES],
    'src/events': [TOP, NO_BULLMQ, NO_FAKES],
    'src/pipeline': [TOP, NO_FAKES],
    'src/http': [HTTP, TOP, NO_BULLMQ],
    'src/emulators': [NO_BULLMQ],
  }),
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
);
