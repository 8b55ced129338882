import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program.command('demo').description('run the main job on an embedded default (see README)');
}
