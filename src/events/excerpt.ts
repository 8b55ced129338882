const SECRET_KEY = /("?(?:[A-Za-z_-]*(?:token|secret|password|passwd|signature|authorization|sig|key|credential)[A-Za-z_-]*)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,&}]+)/gi;

/**
 * A bounded, single-line excerpt of a message for the log of a refused one: enough to recognise it,
 * never a whole body, and values of anything named like a secret masked (a misrouted message may carry
 * a signed URL or a token).
 */
export function excerpt(raw: string | undefined, max = 240): string | undefined {
  if (raw === undefined) return undefined;
  const flat = raw.slice(0, max * 4).replace(/\s+/g, ' ').replace(SECRET_KEY, (_m, k: string) => `${k}"***"`);
  return flat.length > max ? `${flat.slice(0, max)}… (${raw.length} bytes)` : flat;
}
