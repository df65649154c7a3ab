import { lstatSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserInputError } from '../util/errors.js';

/**
 * Paths inside a run store. Experiment, run, step and shard names come from specs, grid values and
 * queue payloads — text a user (or anyone who reaches the queue) chose — and each becomes a
 * folder, so a path is built only from plain folder names and checked to stay under the store:
 * no absolute path, no '..', no NUL, and no symbolic link on the way (a planted link would send
 * the writes, or a cleanup's deletes, somewhere else).
 */

/** A plain folder name: nothing that walks the tree (no '/', no leading '.', no NUL). */
export const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._=+,-]*$/;

export class StorePathError extends UserInputError {
  override name = 'StorePathError';
}

/** The name as it can be shown on one line (control characters such as NUL escaped). */
function shown(name: string): string {
  return JSON.stringify(name);
}

/**
 * `root/segments…`, refused with a StorePathError unless every segment is a plain folder name
 * and no existing folder or file on the way below `root` is a symbolic link.
 */
export function storePath(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const segment of segments) {
    if (!FOLDER_NAME.test(segment)) {
      throw new StorePathError(`${shown(segment)} is not a plain folder name inside the store ${base} (letters, digits and . _ = + , -; no '/', '..', leading '.' or NUL)`);
    }
  }
  const path = resolve(base, ...segments);
  const rel = relative(base, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new StorePathError(`${path} is outside the store ${base}`);
  let current = base;
  for (const segment of segments) {
    current = join(current, segment);
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      break; // not there yet: it will be created as a real folder
    }
    if (isLink) throw new StorePathError(`${current} is a symbolic link; the store's folders must be real folders inside ${base}, so nothing is written or deleted elsewhere`);
  }
  return path;
}
