/** Wall time, CPU time and peak memory (RSS sampled every 20 ms) of one async run in this process. */
export interface Measured<T> {
  value: T;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  /** Peak of heap used above the level at the start (after a GC when --expose-gc is on). */
  peakHeapMb: number;
}

export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let heapPeak = heap0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const value = await fn();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
    return { value, wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000), peakRssMb: mb(peak), peakHeapMb: mb(heapPeak - heap0) };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * The measured time ran against a rate-limit window scaled down to `scaledSeconds`; at Cloudflare's real
 * window every full window the requests needed costs the real length instead.
 */
export function projectToRealWindow(wallMs: number, requests: number, quota: number, scaledSeconds: number, realSeconds = 300): number {
  const waits = Math.max(0, Math.ceil(requests / quota) - 1);
  return Math.round(wallMs + waits * (realSeconds - scaledSeconds) * 1000);
}
