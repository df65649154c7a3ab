import type { Job, Queue } from 'bullmq';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import type { Executor, SweepEvent, SweepResult } from './executor.js';
import {
  connectRedis, jobIdOf, QUEUE_NAME, QueueError, runJobResultSchema, runProgressSchema, unknownModelError, type RunJob,
} from './queue-protocol.js';
import { SpecError, type PlannedRun } from './spec.js';
import type { ExperimentStore } from './store.js';

/**
 * The distributed executor (DESIGN.md decision 6): one BullMQ job per planned run, the run's
 * `<experiment>/<run id>` as job id so submitting a spec again never duplicates work, then a
 * coordinator that polls the jobs and writes each finished run's metrics and summary (carried
 * in the job's result) into its own run store — the machines need not share a filesystem.
 * `bullmq` and `ioredis` load only here, by dynamic import, so the local path never needs them.
 */
export interface BullmqExecutorOptions {
  redis: string;
  /** Enqueue and return without waiting (follow later with `skiplab status`). */
  detach?: boolean;
  /** Attempts per run before it is marked failed (default 3). */
  attempts?: number;
  /** How often the coordinator looks at the queue (ms, default 500). */
  pollMs?: number;
  onEvent?: (event: SweepEvent) => void;
  onStatus?: (status: QueueStatus) => void;
  /** Connection trouble and recovery. */
  log?: (line: string) => void;
}

export type RunState = 'waiting' | 'active' | 'done' | 'failed' | 'missing';
export interface RunStatus {
  run: string;
  state: RunState;
  worker?: string;
  epoch?: number;
  epochs?: number;
  error?: string;
}
export interface WorkerThroughput {
  worker: string;
  runs: number;
  /** Mean training images per second over this worker's runs. */
  imagesPerSecond: number;
}
export interface QueueStatus {
  experiment: string;
  runs: RunStatus[];
  counts: Record<RunState, number>;
  workers: WorkerThroughput[];
}
export interface BullmqSweepResult extends SweepResult {
  /** Runs submitted (or found already queued) by this call. */
  queued: string[];
}

interface Session {
  queue: Queue;
  store: ExperimentStore;
  throughput: Map<string, { runs: number; imagesPerSecond: number }>;
  close(): Promise<void>;
}

async function openSession(store: ExperimentStore, redis: string, log: (line: string) => void): Promise<Session> {
  const connection = await connectRedis(redis, log);
  const { Queue } = await import('bullmq');
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', (error) => log(`queue: ${error.message}`));
  return {
    queue, store, throughput: new Map(),
    async close() {
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

function checkModels(store: ExperimentStore, runs: PlannedRun[]): void {
  for (const run of runs) {
    const error = unknownModelError(run.config.model);
    if (error) throw new SpecError(`spec '${store.spec.name}', run ${run.id}: ${error}`);
  }
}

/** Add every run that is not queued yet; a run whose job failed earlier gets another try. */
async function submit(session: Session, runs: PlannedRun[], attempts: number): Promise<void> {
  const { queue, store } = session;
  const missing: PlannedRun[] = [];
  for (const run of runs) {
    const job = await queue.getJob(jobIdOf(store.spec.name, run.id));
    if (!job) {
      missing.push(run);
      continue;
    }
    if (JSON.stringify((job.data as Partial<RunJob>).config) !== JSON.stringify(run.config)) {
      throw new QueueError(`job ${job.id} in Redis holds a different config than the spec's run ${run.id}; rename the experiment or remove the old job (e.g. obliterate the '${QUEUE_NAME}' queue)`);
    }
    if ((await job.getState()) === 'failed') await job.retry('failed');
  }
  await queue.addBulk(missing.map((run) => ({
    name: 'train',
    data: { experiment: store.spec.name, run: run.id, config: run.config } satisfies RunJob,
    opts: {
      jobId: jobIdOf(store.spec.name, run.id),
      attempts,
      backoff: { type: 'exponential', delay: 1000 },
      // Finished jobs stay: they make re-submission idempotent and hold results for `status`.
      removeOnComplete: false,
      removeOnFail: false,
    },
  })));
}

/** Write a finished job's metrics, then its summary (the completion mark), into the store. */
function collect(session: Session, run: PlannedRun, job: Job): string | null {
  const parsed = runJobResultSchema.safeParse(job.returnvalue);
  if (!parsed.success) return `job ${job.id} finished with a result that is not a run result`;
  const result = parsed.data;
  const directory = session.store.runDirectory(run);
  writeFileAtomicSync(directory.metricsPath, new TextEncoder().encode(result.metrics.map((r) => JSON.stringify(r) + '\n').join('')));
  directory.writeSummary({
    ...result.summary,
    executor: { kind: 'bullmq', worker: result.worker, attempts: job.attemptsStarted, resumed: result.resumed, checkpoint: result.checkpoint },
  });
  return null;
}

function countThroughput(session: Session, job: Job): void {
  const parsed = runJobResultSchema.safeParse(job.returnvalue);
  if (!parsed.success) return;
  const { worker, imagesPerSecond } = parsed.data;
  const seen = session.throughput.get(worker) ?? { runs: 0, imagesPerSecond: 0 };
  session.throughput.set(worker, { runs: seen.runs + 1, imagesPerSecond: (seen.imagesPerSecond * seen.runs + imagesPerSecond) / (seen.runs + 1) });
}

function writeFailure(session: Session, run: PlannedRun, error: string): void {
  const directory = session.store.runDirectory(run);
  let previous = null;
  try {
    previous = directory.readSummary();
  } catch {
    // an unreadable summary is replaced by the failure record
  }
  directory.writeSummary({ epochs: 0, steps: 0, seconds: 0, ...(previous ?? {}), status: 'failed', error });
}

/**
 * Look at each run's job once. Finished runs not yet in the store are collected into it unless
 * `collected` says so already; a run whose job vanished (Redis lost its data) is `missing`.
 */
async function poll(session: Session, runs: PlannedRun[], collected: Set<string>): Promise<RunStatus[]> {
  const statuses: RunStatus[] = [];
  for (const run of runs) {
    // State first, then the job: read the other way round, a job could complete in between and
    // look 'completed' without its result.
    const id = jobIdOf(session.store.spec.name, run.id);
    const state = await session.queue.getJobState(id);
    const job = await session.queue.getJob(id);
    if (!job) {
      statuses.push({ run: run.id, state: session.store.runDirectory(run).isComplete() ? 'done' : 'missing' });
      continue;
    }
    if (state === 'completed') {
      const error = collected.has(run.id) ? null : collect(session, run, job);
      collected.add(run.id);
      countThroughput(session, job);
      statuses.push(error ? { run: run.id, state: 'failed', error } : { run: run.id, state: 'done', worker: (job.returnvalue as { worker?: string } | null)?.worker });
    } else if (state === 'failed') {
      statuses.push({ run: run.id, state: 'failed', error: job.failedReason || 'failed without a reason' });
    } else if (state === 'active') {
      const progress = runProgressSchema.safeParse(job.progress);
      statuses.push({ run: run.id, state: 'active', ...(progress.success ? { worker: progress.data.worker, epoch: progress.data.epoch, epochs: progress.data.epochs } : {}) });
    } else {
      statuses.push({ run: run.id, state: 'waiting' });
    }
  }
  return statuses;
}

function summarise(session: Session, runs: RunStatus[]): QueueStatus {
  const counts: Record<RunState, number> = { waiting: 0, active: 0, done: 0, failed: 0, missing: 0 };
  for (const r of runs) counts[r.state]++;
  const workers = [...session.throughput].map(([worker, t]) => ({ worker, ...t })).sort((a, b) => a.worker.localeCompare(b.worker));
  return { experiment: session.store.spec.name, runs, counts, workers };
}

/**
 * Run a sweep on the queue: submit every unfinished run, then (unless detached) wait until each
 * is done or failed, writing results into the store as they arrive.
 */
export async function runBullmqSweep(store: ExperimentStore, options: BullmqExecutorOptions): Promise<BullmqSweepResult> {
  const onEvent = options.onEvent ?? (() => {});
  const log = options.log ?? (() => {});
  const attempts = options.attempts ?? 3;
  const runs = store.prepare();
  checkModels(store, runs);
  const result: BullmqSweepResult = { completed: [], skipped: [], failed: [], queued: [] };
  const pending = runs.filter((run) => {
    if (!store.runDirectory(run).isComplete()) return true;
    result.skipped.push(run.id);
    onEvent({ kind: 'skipped', run: run.id });
    return false;
  });
  const session = await openSession(store, options.redis, log);
  try {
    await submit(session, pending, attempts);
    result.queued = pending.map((r) => r.id);
    if (options.detach) return result;
    const collected = new Set<string>();
    const seen = new Map<string, { worker?: string; epoch: number }>();
    let open = pending;
    while (open.length > 0) {
      const statuses = await poll(session, open, collected);
      const lost = open.filter((_, i) => statuses[i]!.state === 'missing');
      if (lost.length > 0) {
        log(`${lost.length} job(s) missing from Redis (restarted without persistence?); submitting them again`);
        await submit(session, lost, attempts);
      }
      statuses.forEach((status) => {
        const before = seen.get(status.run);
        if (status.state === 'active' && (!before || before.worker !== status.worker)) onEvent({ kind: 'start', run: status.run, message: status.worker });
        if (status.state === 'active' && status.epoch && status.epoch > (before?.epoch ?? 0)) {
          onEvent({ kind: 'epoch', run: status.run, epoch: status.epoch, epochs: status.epochs, message: status.worker });
        }
        if (status.state === 'active') seen.set(status.run, { worker: status.worker, epoch: status.epoch ?? 0 });
        if (status.state === 'done') {
          result.completed.push(status.run);
          onEvent({ kind: 'done', run: status.run, message: status.worker });
        }
        if (status.state === 'failed') {
          writeFailure(session, open.find((r) => r.id === status.run)!, status.error!);
          result.failed.push({ run: status.run, error: status.error! });
          onEvent({ kind: 'failed', run: status.run, message: status.error });
        }
      });
      const finished = new Set(statuses.filter((s) => s.state === 'done' || s.state === 'failed').map((s) => s.run));
      options.onStatus?.(summarise(session, [
        ...runs.filter((r) => !open.includes(r)).map((r) => ({ run: r.id, state: (result.failed.some((f) => f.run === r.id) ? 'failed' : 'done') as RunState })),
        ...statuses,
      ]));
      open = open.filter((r) => !finished.has(r.id));
      if (open.length > 0) await new Promise((wake) => setTimeout(wake, options.pollMs ?? 500));
    }
    return result;
  } finally {
    await session.close();
  }
}

/** One look at an experiment's jobs (for `skiplab status`); finished results land in the store. */
export async function queueStatus(store: ExperimentStore, options: { redis: string; log?: (line: string) => void }): Promise<QueueStatus> {
  const runs = store.prepare();
  const session = await openSession(store, options.redis, options.log ?? (() => {}));
  try {
    // Results already in the store are not rewritten.
    const collected = new Set(runs.filter((r) => store.runDirectory(r).isComplete()).map((r) => r.id));
    const statuses = await poll(session, runs, collected);
    statuses.forEach((s, i) => {
      if (s.state === 'failed') writeFailure(session, runs[i]!, s.error!);
    });
    return summarise(session, statuses);
  } finally {
    await session.close();
  }
}

/** The queue behind the common executor interface. */
export function bullmqExecutor(options: Omit<BullmqExecutorOptions, 'onEvent'>): Executor {
  return { name: 'bullmq', sweep: (store, onEvent) => runBullmqSweep(store, { ...options, onEvent }) };
}
