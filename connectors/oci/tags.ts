/**
 * An OCI resource's tags as one flat map: freeform tags as they are, defined tags as `Namespace.key`
 * (the spelling OCI uses in tag-based policies and the console). Defined tags win over a freeform tag of
 * the same spelling because their namespaces are governed. Defined values are usually strings; anything
 * else is written as JSON.
 */
export function ociTags(freeform: Record<string, string> | undefined, defined: Record<string, Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(freeform ?? {})) out[k] = String(v);
  for (const [ns, keys] of Object.entries(defined ?? {})) {
    if (keys === null || typeof keys !== 'object') continue;
    for (const [k, v] of Object.entries(keys)) out[`${ns}.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
