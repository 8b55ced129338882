import type { Config } from '../config/load.ts';
import type { OnceResult } from '../pipeline/run-once.ts';

/**
 * The one shape of every command's --json output (docs/cli-output.schema.json; README "Commands"):
 * `{command, …, exitCode}`, where `exitCode` is also the process's exit code. Commands that run cycles
 * (sync --once, plan, resync --wait, approve --wait, demo) list zones the same way: id, name, the
 * reconcile's result and the stored plan.
 */
export type JsonCommand = 'sync' | 'plan' | 'apply' | 'resync' | 'status' | 'approve' | 'demo' | 'plans list' | 'plans show' | 'history' | 'recover';

export function zonesJson(config: Config, zones: OnceResult['zones']) {
  return zones.map((z) => ({ zoneId: z.result.zoneId, name: config.zones.find((x) => x.id === z.result.zoneId)?.name ?? null, result: z.result, plan: z.plan }));
}

export function cycleJson(config: Config, r: OnceResult) {
  return { cycle: r.cycle, zones: zonesJson(config, r.zones) };
}

export function writeJson(command: JsonCommand, body: object, exitCode: number, out: NodeJS.WritableStream = process.stdout): void {
  out.write(JSON.stringify({ command, ...body, exitCode }, null, 2) + '\n');
}
