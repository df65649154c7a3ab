import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from 'bullmq';
import { RunDirectory } from '../train/run-store.js';
import {
  connectRedis, describeIssues, EXIT_DETERMINISTIC, QUEUE_NAME, runJobSchema, unknownModelError,
  type RunJobResult, type RunProgress,
} from './queue-protocol.js';

/**
 * A queue worker (`skiplab worker`): takes runs from the BullMQ queue, trains each in a child
 * process with the normal trainer, reports epochs as job progress, and returns the run's metrics
 * and summary as the job's result. A bad job fails that job, never the worker.
 */
export interface QueueWorkerOptions {
  redis: string;
  /** Runs trained at once, each in its own process (default 1). */
  concurrency?: number;
  /** Kernel threads per run (SKIPLAB_THREADS in each child; default 1). */
  threads?: number;
  /**
   * Store root shared with the coordinator: runs train in `<store>/<experiment>/<run>`, so a retry
   * on any machine resumes from the last checkpoint. Without it, runs train in a folder private
   * to this machine (under the OS temp dir), where only a retry on this machine can resume.
   */
  store?: string;
  /** How long a job's lock lasts without renewal before the job counts as stalled (ms, default 30 000). */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs (ms, default 30 000). */
  stalledInterval?: number;
  log?: (line: string) => void;
}

export interface QueueWorkerHandle {
  /** BullMQ worker name, `host:pid`. */
  readonly name: string;
  /** Stop taking jobs; wait for the current runs to finish (or, with force, abandon them to a retry). */
  close(force?: boolean): Promise<void>;
}

function childEntry(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return { path: self.replace(/bullmq-worker\.ts$/, 'queue-run-child.ts'), execArgv: ['--import', 'tsx'] };
  return { path: self.replace(/bullmq-worker\.js$/, 'queue-run-child.js'), execArgv: [] };
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const log = options.log ?? (() => {});
  const connection = await connectRedis(options.redis, log);
  const { Worker, UnrecoverableError } = await import('bullmq');
  const name = `${hostname()}:${process.pid}`;
  const shared = options.store !== undefined;
  const root = shared ? resolve(options.store!) : join(tmpdir(), 'skiplab-worker-runs');
  const lockDuration = options.lockDuration ?? 30_000;
  const children = new Set<ChildProcess>();

  async function train(job: Job, token: string | undefined): Promise<RunJobResult> {
    const parsed = runJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: malformed job payload: ${describeIssues(parsed.error.issues)}`);
    const { experiment, run, config } = parsed.data;
    const modelError = unknownModelError(config.model);
    if (modelError) throw new UnrecoverableError(`job ${job.id}: ${modelError}`);
    const directory = new RunDirectory(join(root, experiment, run));
    try {
      directory.initialize(config);
    } catch (error) {
      if (shared) throw new UnrecoverableError(`job ${job.id}: ${(error as Error).message}`);
      // A private folder left by an older spec of the same name: nobody else reads it.
      rmSync(directory.path, { recursive: true, force: true });
      directory.initialize(config);
    }
    const resumed = directory.hasCheckpoint();
    log(`${job.id}: ${resumed ? 'resuming from its checkpoint' : 'started'} (attempt ${job.attemptsStarted})`);

    const entry = childEntry();
    const child = fork(entry.path, [directory.path], {
      execArgv: entry.execArgv,
      env: { ...process.env, SKIPLAB_THREADS: String(options.threads ?? 1) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('message', (m: { kind?: string; epoch?: number; epochs?: number; message?: string }) => {
      if (m.kind !== 'epoch' || m.epoch === undefined || m.epochs === undefined) return;
      const progress: RunProgress = { worker: name, epoch: m.epoch, epochs: m.epochs, message: m.message };
      job.updateProgress(progress).catch(() => {}); // progress is advisory; the result is what counts
    });
    // If this worker lost the job's lock (it was declared stalled and handed to another worker),
    // stop training here so the run is not trained twice into the same folder.
    let lostLock = false;
    const lockKey = `${worker.toKey(job.id!)}:lock`;
    const lockWatch = setInterval(() => {
      void worker.client.then((client) => client.get(lockKey)).then((owner) => {
        if (token !== undefined && owner !== token && child.exitCode === null) {
          lostLock = true;
          child.kill('SIGKILL');
        }
      }).catch(() => {});
    }, Math.max(500, lockDuration / 2));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    clearInterval(lockWatch);
    children.delete(child);

    if (exit.code !== 0) {
      const lines = stderr.trim().split('\n');
      const reason = lines.filter((l) => l.startsWith('skiplab:')).pop()?.slice('skiplab: '.length) ?? lines.pop() ?? '';
      if (lostLock) throw new Error(`job ${job.id}: this worker lost the job's lock (stalled), stopped its training`);
      const message = `job ${job.id}: training ${exit.signal ? `killed by ${exit.signal}` : `exited ${exit.code}`}: ${reason}`;
      if (exit.code === EXIT_DETERMINISTIC) throw new UnrecoverableError(message);
      throw new Error(message);
    }
    const summary = directory.readSummary();
    if (summary?.status !== 'complete') throw new Error(`job ${job.id}: training exited without a complete summary.json in ${directory.path}`);
    const metrics = directory.readMetrics();
    const speeds = metrics.filter((r) => r.kind === 'epoch' && typeof r.imagesPerSecond === 'number').map((r) => r.imagesPerSecond as number);
    log(`${job.id}: done`);
    return {
      worker: name,
      checkpoint: { host: hostname(), path: directory.checkpointPath, shared },
      resumed,
      imagesPerSecond: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : 0,
      metrics,
      summary,
    };
  }

  const worker = new Worker(QUEUE_NAME, train, {
    connection,
    name,
    concurrency: Math.max(1, options.concurrency ?? 1),
    lockDuration,
    stalledInterval: options.stalledInterval ?? 30_000,
    // A stalled job (its worker died) goes back to the queue; twice stalled means something
    // kills every worker that takes it, so it fails instead of taking down the fleet.
    maxStalledCount: 2,
  });
  worker.on('error', (error) => log(`queue: ${error.message}`));
  worker.on('failed', (job, error) => log(`${job?.id ?? '(job)'}: FAILED ${error.message}`));
  await worker.waitUntilReady();
  log(`worker ${name} on ${QUEUE_NAME}: concurrency ${options.concurrency ?? 1}, threads ${options.threads ?? 1}, runs in ${root}${shared ? ' (shared store)' : ' (private)'}`);

  return {
    name,
    async close(force = false) {
      if (force) for (const child of children) child.kill('SIGKILL');
      await worker.close(force);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
