/**
 * OCI Notifications HTTPS subscriptions start pending; the first message to the endpoint carries a
 * confirmation URL (header X-OCI-NS-ConfirmationURL, body key ConfirmationURL), and confirming means
 * opening it (docs.oracle.com/iaas/Content/Notification/Tasks/confirm-subscription.htm; valid three days).
 * Anyone holding the token can post such a message, so the URL is only fetched when it is Oracle's own
 * notification service; anything else is logged for the operator and never requested (no SSRF).
 */

export type ConfirmationCheck = (url: URL) => boolean;

/** https on a host under oraclecloud.com (notification.<region>.oci.oraclecloud.com), default port, no credentials. */
export const oracleNotificationHost: ConfirmationCheck = (url) =>
  url.protocol === 'https:' && url.username === '' && url.password === '' && (url.port === '' || url.port === '443') && /^[a-z0-9-]+(\.[a-z0-9-]+)*\.oraclecloud\.com$/.test(url.hostname);

export type Confirmation =
  | { outcome: 'confirmed'; status: number }
  /** Not fetched: the operator opens it (it is in the log). */
  | { outcome: 'refused'; reason: string }
  | { outcome: 'failed'; reason: string };

export async function confirmSubscription(raw: string, allow: ConfirmationCheck, timeoutMs: number): Promise<Confirmation> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { outcome: 'refused', reason: 'the confirmation URL is not a URL' };
  }
  if (!allow(url)) return { outcome: 'refused', reason: `${url.protocol}//${url.host} is not an OCI Notifications host (https, *.oraclecloud.com)` };
  try {
    // A redirect could lead anywhere: it is reported, not followed.
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { outcome: 'confirmed', status: res.status };
    return { outcome: 'failed', reason: `HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect, not followed)' : ''}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { outcome: 'failed', reason: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message) };
  }
}
