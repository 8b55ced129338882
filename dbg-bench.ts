import { startPrivateRedis } from './src/state/private-redis.ts';
import { benchEvents } from './bench/events.ts';
const redis = await startPrivateRedis();
const t = setTimeout(() => { console.log('TIMEOUT'); process.exit(1); }, 90_000);
try {
  console.log(JSON.stringify(await benchEvents({ redisUrl: redis.url, latencyMs: 50, events: 4, regions: 2, burst: 50, debounceMs: 500 })));
} finally { clearTimeout(t); await redis.stop(); }
