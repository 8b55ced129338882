import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintOf } from './inventory.ts';

export interface OciTestCredentials {
  /** An OCI config file, as `oci setup config` writes it, for the connector's `configFile`. */
  configFile: string;
  /** PEM public key, for the inventory's `oci.apiKeys` so the fake verifies signatures. */
  publicKey: string;
  fingerprint: string;
}

/**
 * Writes a throw-away API key and an OCI config file naming it into `dir`: with these the connector signs
 * requests exactly as in production (config-file authentication), and the fake can verify them. For tests
 * and the demo only; the key is fresh every time and grants nothing anywhere.
 */
export async function writeOciTestCredentials(dir: string, opts: { tenancy: string; region: string; user?: string; profile?: string }): Promise<OciTestCredentials> {
  await mkdir(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const fingerprint = fingerprintOf(createPublicKey(publicKey));
  const keyFile = join(dir, 'oci_api_key.pem');
  await writeFile(keyFile, privateKey, { mode: 0o600 });
  const configFile = join(dir, 'config');
  const lines = [
    `[${opts.profile ?? 'DEFAULT'}]`,
    `user=${opts.user ?? 'ocid1.user.oc1..aaaaaaaafakeuser'}`,
    `fingerprint=${fingerprint}`,
    `tenancy=${opts.tenancy}`,
    `region=${opts.region}`,
    `key_file=${keyFile}`,
  ];
  await writeFile(configFile, lines.join('\n') + '\n', { mode: 0o600 });
  return { configFile, publicKey, fingerprint };
}
