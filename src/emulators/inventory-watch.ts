import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { loadInventoryFile, type Inventory } from './inventory.ts';

export interface InventoryWatch {
  close(): void;
}

/**
 * Calls `onChange` with the reloaded inventory each time the file's content changes. The folder is
 * watched, not the file: editors save by writing a new file and renaming it over the old one, which ends
 * a watch on the file itself. Bursts of writes settle for `settleMs` first; a file that does not parse
 * (half written, or a typo) goes to `onError` and the fake keeps serving what it had.
 */
export function watchInventoryFile(
  path: string,
  onChange: (inventory: Inventory) => void | Promise<void>,
  onError: (err: Error) => void,
  settleMs = 100,
): InventoryWatch {
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const digest = async () => createHash('sha256').update(await readFile(path)).digest('hex');
  void digest().then(
    (d) => (last ??= d),
    () => {},
  );
  const reload = async () => {
    try {
      const d = await digest();
      if (d === last) return;
      const inventory = await loadInventoryFile(path);
      last = d;
      await onChange(inventory);
    } catch (err) {
      onError(err as Error);
    }
  };
  const name = basename(path);
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name) return;
    clearTimeout(timer);
    // One reload at a time, in order: a slow onChange never sees two inventories interleaved.
    timer = setTimeout(() => (running = running.then(reload)), settleMs);
  });
  watcher.on('error', (err) => onError(err));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
