import { LIST_FAULTS, WRITE_FAULTS, type ListFault, type WriteFault } from './answer-faults.ts';
import { errors, type ApiError } from './errors.ts';

export interface RateLimitPolicy {
  requests: number;
  windowSeconds: number;
}

/** The realism knobs that can change while the emulator runs (setFaults, PUT /__emulator/faults). */
export interface Knobs {
  latencyMs: number;
  jitterMs: number;
  faultRate: number;
  dropRate: number;
  /** `before`: the request is dropped unprocessed. `after`: it is applied, then the answer is lost. */
  dropMode: 'before' | 'after';
  retireV1: boolean;
  rateLimit: RateLimitPolicy | false;
  /** How every list answer (v1 list, v2 pages) goes wrong while set; see answer-faults.ts. */
  listFault: ListFault;
  /** How every successful write answer goes wrong, after the write was applied; see answer-faults.ts. */
  writeFault: WriteFault;
}

export const DEFAULT_KNOBS: Readonly<Knobs> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  faultRate: 0,
  dropRate: 0,
  dropMode: 'before',
  retireV1: false,
  rateLimit: Object.freeze({ requests: 1200, windowSeconds: 300 }),
  listFault: 'off',
  writeFault: 'off',
});

const KNOB_KEYS = Object.keys(DEFAULT_KNOBS);

/**
 * Applies a partial update, validating every field; throws an Error with a message fit for the caller.
 * Unknown keys are refused so a typo (`faultrate`) does not silently do nothing.
 */
export function patchKnobs(current: Knobs, patch: unknown): Knobs {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new Error('faults must be a JSON object');
  const p = patch as Record<string, unknown>;
  const unknown = Object.keys(p).filter((k) => !KNOB_KEYS.includes(k));
  if (unknown.length > 0) throw new Error(`unknown fault setting(s) ${unknown.join(', ')} (allowed: ${KNOB_KEYS.join(', ')})`);
  const next: Knobs = { ...current };
  if (p.latencyMs !== undefined) next.latencyMs = nonNegative('latencyMs', p.latencyMs);
  if (p.jitterMs !== undefined) next.jitterMs = nonNegative('jitterMs', p.jitterMs);
  if (p.faultRate !== undefined) next.faultRate = share('faultRate', p.faultRate);
  if (p.dropRate !== undefined) next.dropRate = share('dropRate', p.dropRate);
  if (p.dropMode !== undefined) {
    if (p.dropMode !== 'before' && p.dropMode !== 'after') throw new Error('dropMode must be "before" or "after"');
    next.dropMode = p.dropMode;
  }
  if (p.retireV1 !== undefined) {
    if (typeof p.retireV1 !== 'boolean') throw new Error('retireV1 must be a boolean');
    next.retireV1 = p.retireV1;
  }
  if (p.rateLimit !== undefined) next.rateLimit = rateLimit(p.rateLimit);
  if (p.listFault !== undefined) next.listFault = oneOf('listFault', LIST_FAULTS, p.listFault);
  if (p.writeFault !== undefined) next.writeFault = oneOf('writeFault', WRITE_FAULTS, p.writeFault);
  return next;
}

function oneOf<T extends string>(name: string, allowed: readonly T[], v: unknown): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function nonNegative(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0`);
  return v;
}

function share(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new Error(`${name} must be a number from 0 to 1`);
  return v;
}

function rateLimit(v: unknown): RateLimitPolicy | false {
  if (v === false || v === null) return false;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('rateLimit must be {requests, windowSeconds} or false');
  const { requests, windowSeconds } = v as Record<string, unknown>;
  if (typeof requests !== 'number' || !Number.isInteger(requests) || requests < 1) throw new Error('rateLimit.requests must be an integer ≥ 1');
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new Error('rateLimit.windowSeconds must be a number > 0');
  }
  return { requests, windowSeconds };
}

/** How long to hold this request: the fixed latency plus a uniform share of the jitter. */
export function delayFor(knobs: Knobs, random: () => number): number {
  return knobs.latencyMs + (knobs.jitterMs > 0 ? random() * knobs.jitterMs : 0);
}

export function shouldDrop(knobs: Knobs, random: () => number): boolean {
  return knobs.dropRate > 0 && random() < knobs.dropRate;
}

/** A 5xx to answer instead of the real one, or undefined; 1140 and 1156 are the two documented 5xx codes. */
export function injectedFault(knobs: Knobs, random: () => number): ApiError | undefined {
  if (knobs.faultRate <= 0 || random() >= knobs.faultRate) return undefined;
  return random() < 0.5 ? errors.internal1140() : errors.internal1156();
}
