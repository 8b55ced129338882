import type { z } from 'zod';

/**
 * Keys people reach for when they paste a credential into a connector's configuration. Such a key is
 * refused with the vendor's way of giving credentials instead of a bare "unknown key": the message names
 * the key, never its value.
 */
const CREDENTIAL_KEY = /secret|password|passwd|passphrase|token|credential|certificate|private_?key|access_?key|api_?key|key_?id|^key$|key_?file|fingerprint|client_?email/i;

/** What each connector type does instead of holding credentials. */
export const CREDENTIAL_HINTS: Readonly<Record<string, string>> = {
  aws: 'use credentials: {accessKeyIdEnv, secretAccessKeyEnv} naming environment variables, a profile of the shared AWS config files, or the AWS default credential chain',
  gcp: 'the gcp connector uses Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS naming a key file, gcloud auth application-default login, or workload identity)',
  azure: 'the azure connector uses DefaultAzureCredential (environment, workload or managed identity, Azure CLI), or tokenEnv naming an environment variable that holds a token',
  oci: 'the oci connector reads them from the OCI config file (configFile, profile) or uses auth: instance-principal',
  file: 'a file connector reads a local inventory and takes no credentials',
};

/** Nested objects whose keys are the user's own words, never credentials of ours (tag filters). */
const FREE_FORM = new Set(['tags']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A preprocess step for the connector union: reports credential-looking keys the type does not take
 * (at the top level, and inside its nested objects, where only `…Env` names are allowed) with the hint,
 * and drops them so the strict schema does not report them again as unknown.
 */
export function credentialHints(knownKeys: (type: unknown) => ReadonlySet<string> | undefined) {
  return (input: unknown, ctx: z.RefinementCtx): unknown => {
    if (!isPlainObject(input)) return input;
    const known = knownKeys(input.type);
    if (!known) return input;
    const hint = CREDENTIAL_HINTS[String(input.type)] ?? '';
    const refuse = (path: string[]) => ctx.addIssue({ code: 'custom', path, message: `credentials are never written in the config: ${hint}`, input: undefined });
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) {
      if (!known.has(k) && CREDENTIAL_KEY.test(k)) {
        refuse([k]);
        continue;
      }
      if (isPlainObject(v) && !FREE_FORM.has(k)) {
        const inner: Record<string, unknown> = {};
        for (const [ik, iv] of Object.entries(v)) {
          if (CREDENTIAL_KEY.test(ik) && !/Env$/.test(ik)) refuse([k, ik]);
          else inner[ik] = iv;
        }
        out[k] = inner;
      } else {
        out[k] = v;
      }
    }
    return out;
  };
}
