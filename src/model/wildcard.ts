/** Shell-style `*` wildcards (`eu-*`), as CloudQuery and Steampipe users write region lists. */
export function wildcardMatcher(patterns: readonly string[] | undefined): (value: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
  return (value) => res.some((r) => r.test(value));
}
