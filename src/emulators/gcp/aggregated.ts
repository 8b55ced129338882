import type { ListKind } from './inventory.ts';
import { API_BASE, type ServedProject } from './resources.ts';

const LIST_KIND: Record<ListKind, string> = {
  addresses: 'compute#addressAggregatedList',
  instances: 'compute#instanceAggregatedList',
  forwardingRules: 'compute#forwardingRuleAggregatedList',
};

/** What a page token stands for. Opaque to clients; checked on the way back in. */
export interface Cursor {
  project: string;
  list: ListKind;
  /** Index of the first item of the page in the list's flattened item order. */
  offset: number;
  /** 0-based page number, for faults that strike after N pages. */
  page: number;
}

export function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.project, c.list, c.offset, c.page])).toString('base64url');
}

/** null when the token is not one this fake issued for this project and list. */
export function decodeToken(token: string, project: string, list: ListKind): Cursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 4) return null;
    const [p, l, offset, page] = v as unknown[];
    if (p !== project || l !== list) return null;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(page) || (offset as number) < 0 || (page as number) < 0) return null;
    return { project, list, offset: offset as number, page: page as number };
  } catch {
    return null;
  }
}

/**
 * One page of an aggregated list. The flattened items (scopes in order, items in order within a scope)
 * are cut into pages of `size`, so one scope's items can run over several pages, as they do in the API.
 * Every scope appears on every page: with its items on this page, with NO_RESULTS_ON_PAGE when it has
 * none here, or with UNREACHABLE (and its items withheld) when a fault says so.
 */
export function aggregatedPage(served: ServedProject, cursor: Cursor, size: number): Record<string, unknown> {
  const { project, list } = cursor;
  const { scopes, items, unreachable } = served.lists[list];
  const visible = items.filter((s) => !unreachable.has(s.scope));
  const slice = visible.slice(cursor.offset, cursor.offset + size);
  const onPage = new Map<string, unknown[]>();
  for (const s of slice) onPage.set(s.scope, [...(onPage.get(s.scope) ?? []), s.item]);

  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    const found = onPage.get(scope);
    if (unreachable.has(scope)) {
      out[scope] = warning('UNREACHABLE', `Scope '${scope}' is unreachable: its resources could not be listed.`, scope);
    } else if (found) {
      out[scope] = { [list]: found };
    } else {
      out[scope] = warning('NO_RESULTS_ON_PAGE', `There are no results for scope '${scope}' on this page.`, scope);
    }
  }
  const next = cursor.offset + slice.length;
  return {
    kind: LIST_KIND[list],
    id: `projects/${project}/aggregated/${list}`,
    items: out,
    ...(next < visible.length ? { nextPageToken: encodeToken({ project, list, offset: next, page: cursor.page + 1 }) } : {}),
    selfLink: `${API_BASE}/projects/${project}/aggregated/${list}`,
  };
}

function warning(code: string, message: string, scope: string) {
  return { warning: { code, message, data: [{ key: 'scope', value: scope }] } };
}
