import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type From } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

/**
 * hadolint is not installable here (no Haskell toolchain, no PyPI), so the Dockerfile is checked with
 * dockerfile-utils (the linter behind the Docker language server) and the hadolint rules that matter for
 * this image are asserted on its parse tree: DL3006/DL3007 pinned base, DL3002 non-root USER, a HEALTHCHECK,
 * no secret in ENV/ARG, `npm ci` (DL3016-style reproducible installs), exec-form ENTRYPOINT/CMD (DL3025).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const text = await readFile(`${ROOT}Dockerfile`, 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const stages = new Set(froms.map((f) => f.getBuildStage()).filter((s): s is string => !!s));
const finalStart = froms.at(-1)!.getRange().start.line;
const final = instructions.filter((i) => i.getRange().start.line >= finalStart);
const args = (kw: string, list = instructions) => list.filter((i) => i.getKeyword() === kw).map((i) => i.getArgumentsContent() ?? '');

describe('Dockerfile', () => {
  it('has no problem the Dockerfile linter reports', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('pins every base image to a release (a rebuild must not change Node under the daemon)', () => {
    const external = froms.filter((f: From) => !stages.has(f.getImageName() ?? ''));
    expect(external.length).toBeGreaterThan(0);
    for (const f of external) {
      const ref = `${f.getImageName()}:${f.getImageTag() ?? ''}`;
      expect(f.getImageDigest() ?? f.getImageTag(), ref).toMatch(/^(sha256:[0-9a-f]{64}|\d+\.\d+\.\d+(-[a-z0-9.-]+)?)$/);
    }
    expect(new Set(external.map((f) => `${f.getImageName()}:${f.getImageTag()}`)).size, 'one Node release for every stage').toBe(1);
  });

  it('runs as a non-root user, with a healthcheck and exec-form entrypoint', () => {
    const user = args('USER', final).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(args('HEALTHCHECK', final)).toHaveLength(1);
    expect(args('HEALTHCHECK', final)[0]).toMatch(/CMD \[/);
    expect(args('ENTRYPOINT', final)[0]).toMatch(/^\[/);
    expect(args('CMD', final)[0]).toMatch(/^\[/);
  });

  it('puts no secret in the image: none in ENV/ARG, none copied, none in the build context', async () => {
    for (const a of [...args('ENV'), ...args('ARG')]) expect(a).not.toMatch(/TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE/i);
    for (const c of [...args('COPY'), ...args('ADD')]) expect(c).not.toMatch(/\.env|origin-region-sync\.yaml|\.pem|\.key\b/);
    const ignore = (await readFile(`${ROOT}.dockerignore`, 'utf8')).split('\n').map((l) => l.trim());
    for (const p of ['.env', 'origin-region-sync.yaml', '.git', 'node_modules']) expect(ignore, p).toContain(p);
  });

  it('installs with npm ci from the lockfile, without install scripts', () => {
    const installs = args('RUN').filter((r) => /\bnpm\b/.test(r) && /\b(ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const r of installs) {
      expect(r).toMatch(/\bnpm ci\b/);
      expect(r).not.toMatch(/\bnpm (install|i)\b/);
      expect(r).toMatch(/--ignore-scripts/);
    }
  });
});
