import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { haveRedis } from '../helpers/queue.js';

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

/**
 * Whether the Redis fault tests of `file` can run: they need Debian's redis-server, which CI
 * installs, so without it they fail under CI=true and are skipped (with a warning) elsewhere.
 */
export function redisAvailable(file: string): boolean {
  if (haveRedis) return true;
  if (process.env.CI) {
    describe(`${file} in CI`, () => {
      it('needs redis-server', () => {
        throw new Error('redis-server is not installed: the Redis fault tests must run in CI (.ci/run installs Debian\'s redis-server)');
      });
    });
  } else console.warn(`${file}: skipped — redis-server is not installed (apt-get install -y redis-server)`);
  return false;
}

/** Collect a child's stderr as it arrives. */
export function stderrOf(child: ChildProcess): { text: string } {
  const out = { text: '' };
  child.stderr?.on('data', (d: Buffer) => (out.text += d.toString()));
  return out;
}

/** Resolve with a child's exit code (or signal name) once it has exited. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
}
