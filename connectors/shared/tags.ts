/**
 * Include filter on the vendor's own tags/labels: every configured key must be present with the
 * configured value; `*` matches any value of a present key. An empty filter matches everything.
 */
export function matchesTags(filter: Record<string, string> | undefined, tags: Record<string, string>): boolean {
  if (!filter) return true;
  for (const [k, v] of Object.entries(filter)) {
    if (!(k in tags)) return false;
    if (v !== '*' && tags[k] !== v) return false;
  }
  return true;
}
