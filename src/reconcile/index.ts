export * from './types.ts';
export { planZone, CLOUDFLARE_CAP, PLAN_SAMPLE } from './plan.ts';
export { compileSelector, compilePriority } from './selector.ts';
export { isOwned } from './ownership.ts';
export { samplePlan, withTotals } from './sample.ts';
