import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  /** PEM certificate; self-signed, so it is also the CA a client must trust. */
  cert: string;
  /** PEM private key. A throwaway made at start, never written anywhere by the fake. */
  key: string;
}

/**
 * The fake speaks https because @azure/core-rest-pipeline's bearer-token policy refuses to send a token
 * over http: with TLS, the connector keeps the SDK's real authentication path. The certificate names
 * 127.0.0.1, ::1, localhost and the listening host, so the client's normal hostname check passes.
 */
export async function selfSignedFor(host: string): Promise<TlsMaterial> {
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) {
    if (bare !== '127.0.0.1' && bare !== '::1') altNames.push({ type: 7, ip: bare });
  } else if (bare !== 'localhost' && bare !== '') {
    altNames.push({ type: 2, value: bare });
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'origin-region-sync azure fake' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
