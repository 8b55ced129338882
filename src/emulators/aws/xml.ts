/**
 * String-building XML for the EC2 and STS Query protocols. Pages of 1,000 interfaces are built on every
 * request of the discovery benchmark, so this stays plain concatenation rather than a DOM.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function esc(s: string): string {
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c) : s;
}

/**
 * Set only while one response is rendered (rendering is synchronous, so fakes sharing a process cannot
 * see each other's setting): absent members are sent as empty elements, as some EC2 implementations do.
 */
let emptyForAbsent = false;

export function renderWithEmptyFields<T>(on: boolean, render: () => T): T {
  emptyForAbsent = on;
  try {
    return render();
  } finally {
    emptyForAbsent = false;
  }
}

/** `<name>value</name>`, or nothing when the value is absent (the SDK leaves the member undefined). */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return emptyForAbsent ? `<${name}></${name}>` : '';
  return `<${name}>${typeof value === 'string' ? esc(value) : String(value)}</${name}>`;
}

/** An EC2 list: `<name><item>…</item>…</name>`. */
export function set<T>(name: string, items: readonly T[], render: (item: T) => string): string {
  let out = `<${name}>`;
  for (const item of items) out += `<item>${render(item)}</item>`;
  return `${out}</${name}>`;
}

export function tagSet(tags: Readonly<Record<string, string>> | undefined): string {
  if (!tags) return '';
  const entries = Object.entries(tags);
  if (entries.length === 0) return '';
  return set('tagSet', entries, ([k, v]) => el('key', k) + el('value', v));
}

export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function ec2Response(action: string, requestId: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NS}"><requestId>${requestId}</requestId>${body}</${action}Response>`;
}

/** EC2's error shape (the SDK reads Response/Errors/Error/Code into err.name). */
export function ec2Error(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', code)}${el('Message', message)}</Error></Errors>${el('RequestID', requestId)}</Response>`;
}

export function stsResponse(action: string, requestId: string, result: string): string {
  return `<${action}Response xmlns="${STS_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
}

/** STS's (awsQuery) error shape. */
export function stsError(code: string, message: string, requestId: string, status: number): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${STS_NS}"><Error>${el('Type', type)}${el('Code', code)}${el('Message', message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
}
