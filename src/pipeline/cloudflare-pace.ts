import type { PipelineContext } from './context.ts';

/**
 * One Cloudflare budget for every worker of every replica: a 429 (or a nearly spent window, seen in the
 * Ratelimit header) pauses the whole apply queue in Redis until the window reopens.
 */
export async function pauseCloudflare(ctx: PipelineContext, ms: number, why: string): Promise<void> {
  const current = await ctx.queues.apply.getRateLimitTtl();
  if (current >= ms) return;
  await ctx.queues.apply.rateLimit(ms);
  ctx.logger.warn({ pauseMs: ms, why }, 'Cloudflare writes paused');
  ctx.events.emit('paused', { ms, why });
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
  if (ms > 0) await pauseCloudflare(ctx, ms, `only ${b.remaining} requests left in Cloudflare's window`);
}
