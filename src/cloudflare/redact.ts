/**
 * Replaces every occurrence of the given secrets (and their URL-encoded spellings) with `[redacted]`.
 * Applied to every text that reaches an error message: Cloudflare's error texts, network error messages,
 * bodies of proxy error pages. None of them should carry a credential, but one echoed header would be
 * enough to leak it into logs.
 */
export function createRedactor(secrets: string[]): (text: string) => string {
  const needles = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]).filter((s) => s.length > 0))];
  // Longest first, so a secret that contains another is replaced whole.
  needles.sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const n of needles) out = out.split(n).join('[redacted]');
    return out;
  };
}
