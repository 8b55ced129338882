import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';

/** Reads a YAML or JSON data file (JSON is YAML), with errors that name the file. */
export async function readDataFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${path}: ${e.code === 'ENOENT' ? 'no such file (ENOENT)' : e.message}`, { cause: err });
  }
  try {
    return load(text, { filename: path });
  } catch (err) {
    throw new Error(`${path}: not valid JSON or YAML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
}
