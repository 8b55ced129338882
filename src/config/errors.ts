/** A configuration problem. The CLI prints every issue (key path first) and exits 2. */
export class ConfigError extends Error {
  readonly issues: string[];
  readonly file: string | undefined;

  constructor(issues: string[], file?: string, headline = 'invalid configuration') {
    super(issues.length === 1 && headline !== 'invalid configuration' ? `${file ? `${file}: ` : ''}${issues[0]}` : `${file ? `${file}: ` : ''}${headline}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}

/** `zones[0].guard.maxChangeFraction` from a zod/JSON path. */
export function keyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}
