import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { PlanExpectation } from '../pipeline/jobs.ts';
import type { StoredPlan } from '../state/store.ts';
import { CliError, EXIT } from './common.ts';

const KIND = 'origin-region-sync/plan';

/**
 * A plan saved for review (`plan --out FILE`) and applied later (`apply FILE`), as Terraform's plan files:
 * each zone's plan with its change digest and the digests of what it was made from, and a checksum over
 * the whole, so an edited or truncated file is refused rather than half-trusted.
 */
export interface PlanFile {
  kind: typeof KIND;
  version: 1;
  createdAt: string;
  /** The Redis prefix the plan was made against: applying it elsewhere would be applying it to other state. */
  prefix: string;
  zones: Array<{ zoneId: string; name: string | null; plan: StoredPlan }>;
  sha256: string;
}

const fileSchema = z.object({
  kind: z.literal(KIND),
  version: z.literal(1),
  createdAt: z.string(),
  prefix: z.string(),
  zones: z
    .array(
      z.object({
        zoneId: z.string().regex(/^[0-9a-f]{32}$/),
        name: z.string().nullable(),
        plan: z.looseObject({
          id: z.string().min(1),
          zoneId: z.string(),
          digest: z.string().min(1),
          basis: z.object({ zone: z.string().min(1), desired: z.string().min(1) }),
          upserts: z.array(z.unknown()),
          deletes: z.array(z.unknown()),
        }),
      }),
    )
    .min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

function checksum(doc: Omit<PlanFile, 'sha256'>): string {
  return createHash('sha256').update(JSON.stringify({ ...doc, sha256: undefined })).digest('hex');
}

export async function writePlanFile(path: string, prefix: string, zones: PlanFile['zones']): Promise<PlanFile> {
  const body = { kind: KIND as typeof KIND, version: 1 as const, createdAt: new Date().toISOString(), prefix, zones };
  const doc: PlanFile = { ...body, sha256: checksum(body) };
  await writeFile(path, JSON.stringify(doc, null, 2) + '\n');
  return doc;
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the plan file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a plan file (not JSON): make one with \`plan --out FILE\``, EXIT.usage);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${path} is not a valid plan file: ${issue.path.join('.') || '(top)'}: ${issue.message}`, EXIT.usage);
  }
  const doc = raw as PlanFile;
  const { sha256, ...body } = doc;
  if (checksum(body) !== sha256) throw new CliError(`${path} was changed after it was written (checksum mismatch): make a new plan with \`plan --out FILE\``, EXIT.usage);
  return doc;
}

export function expectationOf(plan: StoredPlan): PlanExpectation {
  return { planId: plan.id, digest: plan.digest, basis: plan.basis };
}
