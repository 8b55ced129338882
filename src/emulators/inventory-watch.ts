import { watchFile, type FileWatch } from '../events/watch-file.ts';
import { loadInventoryFile, type Inventory } from './inventory.ts';

export type InventoryWatch = FileWatch;

/**
 * Calls `onChange` with the reloaded inventory each time the file's content changes (see watchFile). A
 * file that does not parse (half written, or a typo) goes to `onError` and the fake keeps serving what
 * it had.
 */
export function watchInventoryFile(path: string, onChange: (inventory: Inventory) => void | Promise<void>, onError: (err: Error) => void, settleMs = 100): InventoryWatch {
  return watchFile(path, async () => onChange(await loadInventoryFile(path)), onError, settleMs);
}
