import { createHash } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';

/**
 * An exclusive lock on a folder, held by one process and let go by the operating system when
 * that process dies, however it dies (kill -9 included).
 *
 * Why not a lock file kept fresh by a timer (proper-lockfile: mkdir + an mtime heartbeat, stale
 * after 10 s)? Training runs whole epochs and evaluations synchronously, so a heartbeat can
 * stall for minutes and a second process would then take a lock that is still in use; and a
 * killed run could not be resumed until the lock aged. flock(2) (fs-ext, os-lock) needs a
 * native addon, and skiplab must work without a compiler. What Node does offer is a listening
 * socket: the kernel lets only one process bind a name and frees the name when the process
 * exits. On Linux the name is in the abstract socket namespace (no file, nothing to go stale);
 * on Windows it is a named pipe. The name is derived from the folder's device and inode, so
 * every path to the folder (relative, through a symlink, a bind mount) names one lock.
 *
 * Elsewhere (macOS, BSDs) an owner file created with O_EXCL is the lock, and an owner that is
 * no longer a running process on this host is taken over (moved aside atomically first, so two
 * processes cannot both take it over).
 *
 * In every mode `.lock` in the folder names the owner (pid, host, start, command), so a refusal
 * can say who holds the folder. The lock covers processes on one machine (one network namespace
 * for the socket); processes on two machines sharing the folder over NFS are not excluded.
 */

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export class FolderLockedError extends Error {
  override name = 'FolderLockedError';
  constructor(readonly folder: string, readonly owner: LockOwner | null) {
    const who = owner ? `pid ${owner.pid} on ${owner.host}, since ${owner.since}: ${owner.command}` : 'a process that has not written its name yet';
    super(`${folder} is locked by another process (${who})`);
  }
}

export interface FolderLock {
  readonly folder: string;
  /** Let go of the lock (idempotent). */
  release(): Promise<void>;
}

export type LockMechanism = 'socket' | 'owner-file';

export const OWNER_FILE = '.lock';

/** Whether `pid` is a running process on this machine (EPERM: it runs, as another user). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function defaultMechanism(): LockMechanism {
  return process.platform === 'linux' || process.platform === 'win32' ? 'socket' : 'owner-file';
}

function me(): LockOwner {
  return { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
}

function readOwner(path: string): LockOwner | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return { pid: value.pid, host: value.host, since: String(value.since ?? '?'), command: String(value.command ?? '?') };
  } catch {
    return null;
  }
}

/** The handle of a lock taken: release removes our owner file (never another's), then `letGo`. */
function heldLock(folder: string, ownerPath: string, owner: LockOwner, letGo: () => Promise<void> = async () => {}): FolderLock {
  let released = false;
  return {
    folder,
    async release() {
      if (released) return;
      released = true;
      if (readOwner(ownerPath)?.pid === owner.pid) rmSync(ownerPath, { force: true });
      await letGo();
    },
  };
}

function socketAddress(folder: string): string {
  const { dev, ino } = statSync(folder, { bigint: true });
  const key = createHash('sha256').update(`skiplab-folder-lock:${dev}:${ino}`).digest('hex').slice(0, 40);
  return process.platform === 'win32' ? `\\\\.\\pipe\\skiplab-lock-${key}` : `\0skiplab-lock-${key}`;
}

async function lockWithSocket(folder: string): Promise<FolderLock> {
  const ownerPath = join(folder, OWNER_FILE);
  // Connections are never expected; one that arrives is closed at once.
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new FolderLockedError(folder, readOwner(ownerPath)) : error);
    });
    server.listen({ path: socketAddress(folder), exclusive: true }, () => resolve());
  });
  // The lock must not keep a finished process alive.
  server.unref();
  const owner = me();
  writeFileAtomicSync(ownerPath, new TextEncoder().encode(JSON.stringify(owner) + '\n'));
  return heldLock(folder, ownerPath, owner, () => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A partly written owner file older than this is left over from a process killed while writing it. */
const UNREADABLE_OWNER_GRACE_MS = 10_000;

function ownerIsGone(path: string, owner: LockOwner | null): boolean {
  if (owner) return owner.host === hostname() && !processIsAlive(owner.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > UNREADABLE_OWNER_GRACE_MS;
  } catch {
    return true;
  }
}

function lockWithOwnerFile(folder: string): FolderLock {
  const ownerPath = join(folder, OWNER_FILE);
  const owner = me();
  const text = JSON.stringify(owner) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(ownerPath, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return heldLock(folder, ownerPath, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let seen: string;
    try {
      seen = readFileSync(ownerPath, 'utf8');
    } catch {
      continue; // released meanwhile: try again
    }
    const holder = readOwner(ownerPath);
    if (!ownerIsGone(ownerPath, holder)) throw new FolderLockedError(folder, holder);
    // Take over a dead owner's file: rename is atomic, so of two processes doing this at once
    // only one moves the file; if what it moved is not the dead owner's any more (a third
    // process took the lock in between), it puts that file back.
    const aside = `${ownerPath}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.stale`;
    try {
      renameSync(ownerPath, aside);
    } catch {
      continue;
    }
    const moved = readFileSync(aside, 'utf8');
    if (moved !== seen) {
      try {
        linkSync(aside, ownerPath);
      } catch {
        // Yet another process holds the folder now; the file we moved was already superseded.
      }
      rmSync(aside, { force: true });
      throw new FolderLockedError(folder, readOwner(ownerPath));
    }
    rmSync(aside, { force: true });
  }
  throw new FolderLockedError(folder, readOwner(ownerPath));
}

/**
 * Take the exclusive lock on an existing folder, or throw FolderLockedError naming its holder.
 * A process holds a folder's lock once: a second `lockFolder` on it, from anywhere, is refused.
 */
export async function lockFolder(folder: string, options: { mechanism?: LockMechanism } = {}): Promise<FolderLock> {
  const mechanism = options.mechanism ?? defaultMechanism();
  return mechanism === 'socket' ? lockWithSocket(folder) : lockWithOwnerFile(folder);
}
