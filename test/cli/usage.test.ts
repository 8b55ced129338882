import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('usage mistakes exit 2 with a message naming the option (README: exit codes)', () => {
  it('no command prints the usage on stderr and exits 2; asking for help prints it on stdout and exits 0', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^Usage: origin-region-sync \[options\] \[command\]/);
    expect(none.stderr).toMatch(/no command: this help on stderr/);
    for (const args of [['--help'], ['help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: origin-region-sync/);
      expect(r.stderr).toBe('');
    }
    const group = await runCli(['emulate']);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/Usage: origin-region-sync emulate/);
  }, 60_000);

  it('--limit and --errors take whole numbers ≥ 0 only', async () => {
    for (const [args, option] of [
      [['sync', '--once', '--limit', 'abc'], '--limit'],
      [['plan', '--limit', '-1'], '--limit'],
      [['plan', '--limit', '2.5'], '--limit'],
      [['status', '--errors', 'x'], '--errors'],
    ] as const) {
      const r = await runCli([...args, '--config', '/nonexistent/origin-region-sync.yaml']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`option '${option} <n>' argument '${args.at(-1)}' is invalid`);
      expect(r.stderr).toMatch(/whole number ≥ 0/);
    }
  }, 60_000);

  it('run --log-level bogus exits 2 naming the option and the valid levels, before reading any configuration', async () => {
    const r = await runCli(['run', '--log-level', 'bogus', '--config', '/nonexistent/origin-region-sync.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--log-level <level>' argument 'bogus' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/);
    expect(r.stderr).not.toMatch(/file not found/);
  });

  it('every hint points at something that exists: demo --json, and each document the README names', async () => {
    const demo = await runCli(['demo', '--help']);
    expect(demo.stdout).toMatch(/--json/); // the demo's "(--json for all)" hint
    const readme = await readFile(`${ROOT}README.md`, 'utf8');
    const docs = new Set([...readme.matchAll(/(?:\]\(|\b)((?:[\w.-]+\/)*[\w.-]+\.(?:md|json))\b/g)].map((m) => m[1]!).filter((p) => !p.startsWith('http')));
    expect(docs.size).toBeGreaterThan(3);
    const missing = [...docs].filter((p) => !existsSync(`${ROOT}${p}`) && !existsSync(`${ROOT}docs/${p}`) && !existsSync(`${ROOT}config/${p}`));
    expect(missing).toEqual([]);
  });
});
