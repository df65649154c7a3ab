import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Atomic file writes (DESIGN.md decision 5): the bytes go to a temporary file in the same
 * directory, are flushed to disk, and the temporary file is renamed over the target. A reader (or
 * a process killed mid-write) therefore sees either the old file or the complete new one.
 */

function temporaryPath(path: string): string {
  const suffix = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/**
 * The target and writer of a temporary file these writers make (`.<target>.<pid>-<time>-<random>.tmp`),
 * or null for any other name: a process killed mid-write leaves one behind, and whoever cleans
 * up must know whose it is.
 */
export function parseTemporaryName(name: string): { target: string; pid: number } | null {
  const match = /^\.(.+)\.(\d+)-[0-9a-z]+-[0-9a-z]+\.tmp$/.exec(name);
  return match ? { target: match[1]!, pid: Number(match[2]) } : null;
}

/**
 * Fault injection for crash tests: SKIPLAB_FAILPOINT=before-rename:<file name>:<n> makes the n-th
 * atomic write of that file stop (sleep) after its temporary file is complete and before the
 * rename, so a test can SIGKILL the process at the worst moment and check the previous file.
 */
const failpointCounts = new Map<string, number>();
function failpointBeforeRename(path: string): void {
  const spec = typeof process === 'undefined' ? undefined : process.env.SKIPLAB_FAILPOINT;
  if (!spec?.startsWith('before-rename:')) return;
  const [, name, nth] = spec.split(':');
  if (basename(path) !== name) return;
  const count = (failpointCounts.get(name) ?? 0) + 1;
  failpointCounts.set(name, count);
  if (count !== Number(nth)) return;
  process.stderr.write(`skiplab-failpoint: before-rename ${path}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300_000); // long enough for a loaded test machine
}

export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const temporary = temporaryPath(path);
  try {
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    failpointBeforeRename(path);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
