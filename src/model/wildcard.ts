/** Shell-style `*` wildcards (`eu-*`), as CloudQuery and Steampipe users write region lists. */
export function wildcardMatcher(patterns: readonly string[] | undefined): (value: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'));
  // A plain loop: a callback per call would be an allocation per origin, a million of them in a large plan.
  return (value) => {
    for (const r of res) if (r.test(value)) return true;
    return false;
  };
}
