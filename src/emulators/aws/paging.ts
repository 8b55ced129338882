import { createHash } from 'node:crypto';
import { QueryError, type Params } from './query.ts';

/**
 * NextToken for the fake: the offset of the next item, the page number (for page faults), and a digest
 * of what was asked (action, account, region, filters), so a token replayed with other filters is refused
 * like EC2 refuses it instead of silently returning the wrong slice.
 */

export function requestDigest(action: string, account: string, region: string, params: Params): string {
  const h = createHash('sha256').update(`${action}\n${account}\n${region}`);
  for (const [k, v] of [...params].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (k === 'NextToken' || k === 'MaxResults' || k === 'Action' || k === 'Version') continue;
    h.update(`\n${k}=${v}`);
  }
  return h.digest('base64url').slice(0, 16);
}

export interface PageCursor {
  offset: number;
  page: number;
}

export function decodeToken(token: string | undefined, digest: string): PageCursor {
  if (token === undefined) return { offset: 0, page: 1 };
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('|');
  const [d, o, p] = parts;
  const offset = Number(o);
  const page = Number(p);
  if (parts.length !== 3 || d !== digest || !Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(page) || page < 2) {
    throw new QueryError('InvalidPaginationToken', 'The specified pagination token is not valid or is expired.');
  }
  return { offset, page };
}

export function encodeToken(digest: string, offset: number, page: number): string {
  return Buffer.from(`${digest}|${offset}|${page}`, 'utf8').toString('base64url');
}

/**
 * One page of `items`: `limit` is the smaller of MaxResults and the fake's page size (AWS may also
 * return fewer than MaxResults; callers must follow NextToken).
 */
export function page<T>(items: readonly T[], cursor: PageCursor, limit: number, digest: string): { items: T[]; nextToken?: string } {
  const slice = items.slice(cursor.offset, cursor.offset + limit);
  const end = cursor.offset + slice.length;
  return end < items.length ? { items: slice, nextToken: encodeToken(digest, end, cursor.page + 1) } : { items: slice };
}
