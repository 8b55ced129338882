import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { PipelineContext } from '../pipeline/context.ts';
import { SourceHealthBoard } from './health.ts';
import { EventIntake } from './intake.ts';
import { createEventSource } from './sources.ts';
import type { EventSource } from './types.ts';
import { watchFile, type FileWatch } from './watch-file.ts';

export interface Events {
  intake: EventIntake;
  health: SourceHealthBoard;
  stop(): Promise<void>;
}

/**
 * Starts consuming every configured event source, and watches each file connector's inventory, so a
 * change anywhere becomes a targeted resync within `events.debounce`. A source that cannot be built
 * (bad credentials file, say) is reported down and the others go on: events only speed things up, the
 * schedule stays the ground truth.
 */
export async function startEvents(ctx: PipelineContext, opts: { watchFiles?: boolean } = {}): Promise<Events> {
  const { config, logger } = ctx;
  const intake = new EventIntake(ctx);
  const health = new SourceHealthBoard({ state: ctx.state, metrics: ctx.metrics, logger });
  const sources: EventSource[] = [];
  for (const source of config.events.sources) {
    const reporter = health.register(source.name, source.type);
    try {
      const built = await createEventSource(source, { sink: intake, health: reporter, logger: logger.child({ source: source.name }), configDir: config.dir, env: process.env });
      if (built) sources.push(built);
    } catch (err) {
      reporter.down(`cannot start: ${(err as Error).message}`);
    }
  }
  for (const w of config.events.webhooks) health.register(w.name, 'webhook').up();
  const watches: FileWatch[] = [];
  if (opts.watchFiles !== false) {
    for (const c of config.connectors) {
      if (c.type !== 'file') continue;
      const path = resolve(config.dir, c.path);
      watches.push(
        watchFile(
          path,
          async (content) => {
            const scopes = (await intake.knownScopes()).filter((s) => s.connector === c.name);
            if (scopes.length === 0) return; // not listed yet: the first cycle reads the file anyway
            const id = `file-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
            try {
              await intake.enqueue(`file:${c.name}`, id, scopes);
              logger.info({ connector: c.name, path }, 'inventory file changed: targeted resync queued');
            } catch (err) {
              logger.warn({ connector: c.name, error: (err as Error).message }, 'inventory file changed, but the resync could not be queued: the next cycle reads it');
            }
          },
          (err) => logger.warn({ connector: c.name, error: err.message }, 'inventory file watch'),
        ),
      );
    }
  }
  health.start();
  for (const s of sources) s.start();
  return {
    intake,
    health,
    async stop() {
      for (const w of watches) w.close();
      await Promise.all(sources.map((s) => s.stop().catch((err: Error) => logger.warn({ source: s.name, error: err.message }, 'event source did not stop cleanly'))));
      health.stop();
      await health.forget();
    },
  };
}
