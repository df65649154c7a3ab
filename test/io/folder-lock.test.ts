import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FolderLockedError, lockFolder, OWNER_FILE, processIsAlive, type LockMechanism } from '../../src/io/folder-lock.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const folder = (): string => {
  const d = join(root, `f${count++}`);
  mkdirSync(d);
  return d;
};
const lockModule = fileURLToPath(new URL('../../src/io/folder-lock.ts', import.meta.url));

/** A child process that takes the lock, says so, and then waits to be killed. */
async function holderProcess(path: string, mechanism: LockMechanism): Promise<ReturnType<typeof spawn>> {
  const script = `const { lockFolder } = await import(${JSON.stringify(lockModule)}); await lockFolder(${JSON.stringify(path)}, { mechanism: ${JSON.stringify(mechanism)} }); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return child;
}

async function kill9(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

for (const mechanism of ['socket', 'owner-file'] as const) {
  describe(`lockFolder (${mechanism})`, () => {
    it('lets one holder in, refuses a second naming the first, and is free again after release', async () => {
      const path = folder();
      const lock = await lockFolder(path, { mechanism });
      const owner = JSON.parse(readFileSync(join(path, OWNER_FILE), 'utf8'));
      expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
      const refused = await lockFolder(path, { mechanism }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FolderLockedError);
      expect((refused as FolderLockedError).owner?.pid).toBe(process.pid);
      expect((refused as Error).message).toMatch(new RegExp(`is locked by another process \\(pid ${process.pid} on `));
      await lock.release();
      await lock.release();
      const again = await lockFolder(path, { mechanism });
      await again.release();
    });

    it('is held by another process until that process is killed with SIGKILL', async () => {
      const path = folder();
      const holder = await holderProcess(path, mechanism);
      try {
        const refused = await lockFolder(path, { mechanism }).catch((e: unknown) => e);
        expect((refused as FolderLockedError).owner?.pid).toBe(holder.pid);
      } finally {
        await kill9(holder);
      }
      expect(processIsAlive(holder.pid!)).toBe(false);
      const lock = await lockFolder(path, { mechanism });
      expect(JSON.parse(readFileSync(join(path, OWNER_FILE), 'utf8')).pid).toBe(process.pid);
      await lock.release();
    });
  });
}

describe('lockFolder', () => {
  it('names one lock for every path to a folder (socket mode keys on device and inode)', async () => {
    const path = folder();
    const link = join(root, `link${count++}`);
    symlinkSync(path, link);
    const lock = await lockFolder(path, { mechanism: 'socket' });
    await expect(lockFolder(link, { mechanism: 'socket' })).rejects.toBeInstanceOf(FolderLockedError);
    await expect(lockFolder(join(link, '.', '..', link.split('/').pop()!), { mechanism: 'socket' })).rejects.toBeInstanceOf(FolderLockedError);
    await lock.release();
  });

  it('owner-file mode: never takes over an owner on another host, or a live one; takes over a dead one', async () => {
    const path = folder();
    writeFileSync(join(path, OWNER_FILE), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'x', command: 'skiplab train' }));
    await expect(lockFolder(path, { mechanism: 'owner-file' })).rejects.toThrow(/pid 1 on elsewhere\.example/);
    writeFileSync(join(path, OWNER_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), since: 'x', command: 'runner' }));
    await expect(lockFolder(path, { mechanism: 'owner-file' })).rejects.toThrow(new RegExp(`pid ${process.ppid} `));
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(join(path, OWNER_FILE), JSON.stringify({ pid: dead.pid, host: hostname(), since: 'x', command: 'killed' }));
    const lock = await lockFolder(path, { mechanism: 'owner-file' });
    expect(JSON.parse(readFileSync(join(path, OWNER_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('owner-file mode: of several processes taking over one dead owner at once, exactly one gets the lock', async () => {
    const path = folder();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(join(path, OWNER_FILE), JSON.stringify({ pid: dead.pid, host: hostname(), since: 'x', command: 'killed' }));
    // Each contender waits for a common start time, tries once, reports, and holds what it got.
    const start = Date.now() + 3000;
    const script = `const { lockFolder } = await import(${JSON.stringify(lockModule)}); await new Promise((r) => setTimeout(r, ${start} - Date.now()));
      try { await lockFolder(${JSON.stringify(path)}, { mechanism: 'owner-file' }); console.log('locked'); } catch (e) { console.log(e.name); }
      setTimeout(() => {}, 1500);`;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', () => resolve(out.trim()));
    })));
    expect(outcomes.filter((o) => o === 'locked'), outcomes.join(', ')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'FolderLockedError')).toHaveLength(4);
  });

  it('processIsAlive: this process yes, an exited one and nonsense pids no', async () => {
    expect(processIsAlive(process.pid)).toBe(true);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    expect(processIsAlive(dead.pid!)).toBe(false);
    expect(processIsAlive(0)).toBe(false);
    expect(processIsAlive(-5)).toBe(false);
  });
});
