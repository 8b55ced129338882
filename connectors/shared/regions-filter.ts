/** Region selection with shell-style wildcards (`eu-*`, `*`), as CloudQuery and Steampipe users expect. */
export function regionMatcher(patterns: readonly string[] | undefined): (region: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
  return (region) => res.some((r) => r.test(region));
}
