import type { StateStore } from '../state/store.ts';
import type { PipelineContext } from './context.ts';

/** A pause of Cloudflare writes in force, as every replica and `status` see it. */
export interface CloudflarePause {
  /** Epoch ms when writes resume. */
  until: number;
  /** Why: a 429's Retry-After, or the Ratelimit header saying the window is spent. */
  reason: string;
}

const PAUSE_KEY = 'cloudflare-pause';

/**
 * One Cloudflare budget for every worker of every replica: a 429 (or a nearly spent window, seen in the
 * Ratelimit header) pauses the whole apply queue in Redis until the window reopens, and records why and
 * until when, so that `status` and the dashboard can tell a real pause from BullMQ's own pacing window.
 */
export async function pauseCloudflare(ctx: PipelineContext, ms: number, why: string): Promise<void> {
  // Only a limiter that is holding jobs back right now (its counter at the max) may already cover this
  // pause. The bare TTL of the limiter key is just the age of the current counting window (up to
  // cloudflare.rateLimit.perSeconds) and says nothing about a pause: comparing with it skipped pauses
  // the Ratelimit header had asked for, and ran into 429s.
  const inForce = await ctx.queues.apply.getRateLimitTtl(ctx.config.cloudflare.rateLimit.requests);
  if (inForce < ms) await ctx.queues.apply.rateLimit(ms);
  await recordPause(ctx.state, { until: Date.now() + Math.max(ms, inForce), reason: why });
  ctx.logger.warn({ pauseMs: ms, why }, 'Cloudflare writes paused');
  ctx.events.emit('paused', { ms, why });
}

/** Keeps the later of two pauses: a short one recorded after a long one does not hide it. */
async function recordPause(state: StateStore, pause: CloudflarePause): Promise<void> {
  const prev = await currentPause(state);
  if (prev && prev.until >= pause.until) return;
  await state.caches.set(PAUSE_KEY, pause, Math.max(1, Math.ceil((pause.until - Date.now()) / 1000)));
}

/** The pause in force now, if any (an expired one is not a pause, whatever Redis still holds). */
export async function currentPause(state: StateStore, now = Date.now()): Promise<CloudflarePause | null> {
  const p = await state.caches.get<CloudflarePause>(PAUSE_KEY);
  return p && p.until > now ? p : null;
}

/**
 * Shares the window politely with other tools on the same token: when Cloudflare reports fewer than
 * `floor` requests left, wait for the reset instead of spending the rest.
 */
export async function paceFromHeaders(ctx: PipelineContext): Promise<void> {
  const b = ctx.cloudflare.budget();
  if (!b) return;
  ctx.metrics.cloudflareBudgetRemaining.set(b.remaining);
  const floor = Math.max(2, Math.ceil((b.quota ?? ctx.config.cloudflare.rateLimit.requests) * 0.02));
  if (b.remaining > floor) return;
  const ms = Math.max(0, b.resetSeconds * 1000 - (Date.now() - b.observedAt));
  if (ms > 0) await pauseCloudflare(ctx, ms, `Cloudflare's rate-limit window is spent (${b.remaining} requests left)`);
}
