import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startCli } from '../helpers/cli.js';

/** A fresh scratch folder, removed after the file's tests. */
export function scratchFolders(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), `skiplab-fault-${prefix}-`));
    dirs.push(d);
    return d;
  };
}

/** Start the CLI and resolve once its stderr shows `marker` (rejects if it exits first). */
export async function startCliUntil(args: string[], env: Record<string, string>, marker: string): Promise<ChildProcess> {
  const child = startCli(args, env);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const onExit = (): void => reject(new Error(`the CLI exited before printing '${marker}': ${err}`));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(marker)) {
        child.off('exit', onExit);
        resolve();
      }
    });
    child.on('exit', onExit);
  });
  return child;
}

/** SIGKILL a child and wait until it is gone (reaped, so its pid is no longer a process). */
export async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** The pid of a process that has exited (for files that claim a dead writer). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
