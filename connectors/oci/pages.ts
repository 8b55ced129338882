/** One page of an OCI list call as the SDK returns it: the items and the `opc-next-page` token. */
export interface OciPage<T> {
  items: T[];
  opcNextPage?: string;
}

/**
 * Follows `opc-next-page` until the last page, handing each page over as it arrives, so a failure on a
 * later page keeps what earlier pages found (a partial scan reports real addresses). A token seen twice
 * would loop forever: that is an error, not the end of the list.
 */
export async function eachPage<T>(signal: AbortSignal, call: (page: string | undefined) => Promise<OciPage<T>>, onPage: (items: T[]) => void): Promise<void> {
  const seen = new Set<string>();
  let page: string | undefined;
  for (;;) {
    signal.throwIfAborted();
    const r = await call(page);
    onPage(r.items);
    const next = r.opcNextPage;
    if (next === undefined || next === null || next === '') return;
    if (seen.has(next)) throw new Error(`the service returned the page token ${JSON.stringify(next.slice(0, 40))} twice`);
    seen.add(next);
    page = next;
  }
}
