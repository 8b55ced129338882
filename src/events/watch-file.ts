import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

/**
 * Calls `onChange` with the file's new content each time it changes. The folder is watched, not the
 * file: editors save by writing a new file and renaming it over the old one, which ends a watch on the
 * file itself. Bursts of writes settle for `settleMs` first, content equal to the last seen is ignored,
 * and calls never overlap. A file that is gone or unreadable goes to `onError`.
 */
export function watchFile(path: string, onChange: (content: Buffer) => void | Promise<void>, onError: (err: Error) => void, settleMs = 100): FileWatch {
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  let closed = false;
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  // Read now, synchronously: an edit made right after the watch starts must not be taken as the baseline.
  try {
    last = digest(readFileSync(path));
  } catch {
    // not there yet: its first appearance is a change
  }
  const reload = async () => {
    if (closed) return;
    try {
      const content = await readFile(path);
      const d = digest(content);
      if (d === last) return;
      last = d;
      await onChange(content);
    } catch (err) {
      onError(err as Error);
    }
  };
  const name = basename(path);
  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(reload);
    }, settleMs);
  });
  watcher.on('error', (err) => onError(err));
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
