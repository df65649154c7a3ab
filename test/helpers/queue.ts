import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import { QUEUE_NAME } from '../../src/experiments/queue-protocol.js';

/**
 * A real redis-server on a free port of 127.0.0.1 and real `skiplab worker` processes, for the
 * queue tests (Debian's redis-server; `.ci/run` installs it).
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
export const haveRedis = !spawnSync('redis-server', ['--version']).error;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** Wait until a child's stderr/stdout shows `pattern`; reject if it exits first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const look = (d: Buffer): void => {
      text += d.toString();
      if (pattern.test(text)) resolve();
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${text}`)));
  });
}

export class RedisServer {
  process: ChildProcess | null = null;
  constructor(readonly port: number, readonly dir: string) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  /** Append-only file with fsync on every write: a restart keeps the queue, as in production. */
  async start(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(this.process, /Ready to accept connections/, 'redis-server');
  }
  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    await new Promise((resolve) => {
      p.once('exit', resolve);
      p.kill('SIGTERM');
    });
  }
}

export interface WorkerProcess {
  process: ChildProcess;
  name: string;
}

/**
 * A `skiplab worker` in its own process group (so a test can kill it with its job's child), with
 * short lock and stall intervals so a killed worker's job is retried within seconds. Without
 * `store` it works in a private folder under `env.TMPDIR`.
 */
export async function startWorker(redis: string, options: { store?: string; env?: Record<string, string> } = {}): Promise<WorkerProcess> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', redis, '--lock-duration', '2000', '--stalled-interval', '1000', ...(options.store ? ['--store', options.store] : [])];
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const worker = { process: child, name: `${hostname()}:${child.pid}` };
  await waitForOutput(child, /on skiplab-runs/, 'skiplab worker');
  return worker;
}

export const alive = (w: WorkerProcess): boolean => w.process.exitCode === null && w.process.signalCode === null;

/** SIGKILL a worker and its children, as when its machine dies. */
export function killWorker(w: WorkerProcess): void {
  if (alive(w)) process.kill(-w.process.pid!, 'SIGKILL');
}

/** The queue as the tests inspect it, on its own connection (quiet while Redis is down or gone). */
export async function openQueue(redis: string): Promise<Queue> {
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const connection = new Redis(redis, { maxRetriesPerRequest: null });
  connection.on('error', () => {});
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {});
  return queue;
}
