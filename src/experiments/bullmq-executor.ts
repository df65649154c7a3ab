import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectMeasure, collectTrain, uploadWeights } from './bullmq-collect.js';
import { jobIsDone, pendingJobs, type Executor } from './executor.js';
import { jobIdOf, type Job as PlannedJob, type JobEvent, type JobsResult } from './jobs.js';
import { canonicalJson } from './json.js';
import { connectRedis, jobProgressSchema, QUEUE_NAME, QueueError, trainJobResultSchema, unknownModelError } from './queue-protocol.js';
import { queueClasses, unreadableJobData } from './queue-classes.js';
import { SpecError } from './spec.js';

/**
 * The distributed executor (DESIGN.md decision 6): one BullMQ job per training run or measurement
 * shard, its place in the store as job id so submitting it again never duplicates work, then a
 * coordinator that polls the jobs and writes each finished one's result into its own store —
 * the machines need not share a filesystem (weights travel through Redis as blobs). A worker that
 * dies mid-job loses only that job, which another worker retries; finished shards stay finished.
 * `bullmq` and `ioredis` load only here and in the worker, by dynamic import, so the local path
 * never needs them.
 */
export interface BullmqExecutorOptions {
  redis: string;
  /** Allow a Redis on another machine without a password (the user's `--insecure`). */
  insecure?: boolean;
  /** Enqueue and return without waiting (follow later with `skiplab status`). */
  detach?: boolean;
  /** Attempts per job before it is marked failed (default 3). */
  attempts?: number;
  /** How often the coordinator looks at the queue (ms, default 500). */
  pollMs?: number;
  onStatus?: (status: QueueStatus) => void;
  /** Connection trouble and recovery. */
  log?: (line: string) => void;
}

export type JobState = 'waiting' | 'active' | 'done' | 'failed' | 'missing';
export interface JobStatus {
  job: string;
  state: JobState;
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
  /** The experiment folders the jobs belong to. */
  experiment: string;
  jobs: JobStatus[];
  counts: Record<JobState, number>;
  workers: WorkerThroughput[];
}

interface Session {
  queue: Queue;
  client: Redis;
  root: string;
  throughput: Map<string, { runs: number; imagesPerSecond: number }>;
  close(): Promise<void>;
}

async function openSession(root: string, redis: string, log: (line: string) => void, insecure = false): Promise<Session> {
  const client = await connectRedis(redis, log, { insecure });
  const { Queue } = await queueClasses();
  const queue = new Queue(QUEUE_NAME, { connection: client });
  queue.on('error', (error) => log(`queue: ${error.message}`));
  return {
    queue, client, root, throughput: new Map(),
    async close() {
      await queue.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function checkModels(jobs: readonly PlannedJob[]): void {
  for (const job of jobs) {
    if (job.kind !== 'train') continue;
    const error = unknownModelError(job.data.config.model);
    if (error) throw new SpecError(`spec '${job.data.experiment}', run ${job.data.run}: ${error}`);
  }
}

/**
 * Add every job that is not queued yet; a job that failed earlier gets another try. A queued job
 * with other data: a finished or failed shard planned from other weights is replaced; anything
 * else is an error (rename the experiment or clear the old job).
 */
async function submit(session: Session, jobs: readonly PlannedJob[], attempts: number): Promise<void> {
  const { queue } = session;
  const missing: PlannedJob[] = [];
  for (const job of jobs) {
    const id = jobIdOf(job);
    const queued = await queue.getJob(id);
    if (!queued) {
      missing.push(job);
      continue;
    }
    const state = await queued.getState();
    if (canonicalJson(queued.data) !== canonicalJson(job.data)) {
      // A finished shard planned from other weights, or a job whose stored data was unreadable, is replaced.
      if ((job.kind === 'measure' || unreadableJobData(queued.data) !== null) && (state === 'completed' || state === 'failed')) {
        await queued.remove();
        missing.push(job);
        continue;
      }
      throw new QueueError(`job ${id} in Redis holds a different ${job.kind === 'train' ? 'config than the spec\'s run' : 'measurement than the one planned'}; rename the experiment or remove the old job (e.g. obliterate the '${QUEUE_NAME}' queue)`);
    }
    if (state === 'failed') await queued.retry('failed');
  }
  await queue.addBulk(missing.map((job) => ({
    name: job.kind,
    data: job.data,
    opts: {
      jobId: jobIdOf(job),
      attempts,
      backoff: { type: 'exponential', delay: 1000 },
      // Finished jobs stay: they make re-submission idempotent and hold results for `status`.
      removeOnComplete: false,
      removeOnFail: false,
    },
  })));
}

function countThroughput(session: Session, returnvalue: unknown): void {
  const parsed = trainJobResultSchema.safeParse(returnvalue);
  if (!parsed.success) return;
  const { worker, imagesPerSecond } = parsed.data;
  const seen = session.throughput.get(worker) ?? { runs: 0, imagesPerSecond: 0 };
  session.throughput.set(worker, { runs: seen.runs + 1, imagesPerSecond: (seen.imagesPerSecond * seen.runs + imagesPerSecond) / (seen.runs + 1) });
}

/**
 * Look at each job once. Finished jobs not yet in the store are collected into it unless
 * `collected` says so already; a job that vanished (Redis lost its data) is `missing`.
 */
export async function pollJobs(session: Session, jobs: readonly PlannedJob[], collected: Set<string>): Promise<JobStatus[]> {
  const statuses: JobStatus[] = [];
  for (const planned of jobs) {
    // State first, then the job: read the other way round, a job could complete in between and
    // look 'completed' without its result.
    const id = jobIdOf(planned);
    const state = await session.queue.getJobState(id);
    const job = await session.queue.getJob(id);
    if (!job) {
      statuses.push({ job: id, state: jobIsDone(session.root, planned) ? 'done' : 'missing' });
      continue;
    }
    const worker = (job.returnvalue as { worker?: string } | null)?.worker;
    if (state === 'completed') {
      let error: string | null = null;
      if (!collected.has(id)) {
        error = planned.kind === 'train' ? await collectTrain(session.root, planned.data, job, session.client) : collectMeasure(session.root, planned.data, job);
        if (!error) countThroughput(session, job.returnvalue);
      }
      if (!error) collected.add(id);
      statuses.push(error ? { job: id, state: 'failed', error } : { job: id, state: 'done', worker });
    } else if (state === 'failed') {
      statuses.push({ job: id, state: 'failed', error: job.failedReason || 'failed without a reason' });
    } else if (state === 'active') {
      const progress = jobProgressSchema.safeParse(job.progress);
      statuses.push({ job: id, state: 'active', ...(progress.success ? { worker: progress.data.worker, epoch: progress.data.epoch, epochs: progress.data.epochs } : {}) });
    } else {
      statuses.push({ job: id, state: 'waiting' });
    }
  }
  return statuses;
}

export function summarise(session: Pick<Session, 'throughput'>, experiment: string, jobs: JobStatus[]): QueueStatus {
  const counts: Record<JobState, number> = { waiting: 0, active: 0, done: 0, failed: 0, missing: 0 };
  for (const j of jobs) counts[j.state]++;
  const workers = [...session.throughput].map(([worker, t]) => ({ worker, ...t })).sort((a, b) => a.worker.localeCompare(b.worker));
  return { experiment, jobs, counts, workers };
}

export { openSession };

/** Follow the submitted jobs until each is done or failed, reporting events and status. */
async function follow(session: Session, jobs: PlannedJob[], result: JobsResult, options: BullmqExecutorOptions, attempts: number, onEvent: (event: JobEvent) => void, experiment: string): Promise<void> {
  const log = options.log ?? (() => {});
  const collected = new Set<string>();
  const seen = new Map<string, { worker?: string; epoch: number }>();
  const finishedStatus: JobStatus[] = [];
  let open = jobs;
  while (open.length > 0) {
    const statuses = await pollJobs(session, open, collected);
    const lost = open.filter((_, i) => statuses[i]!.state === 'missing');
    if (lost.length > 0) {
      log(`${lost.length} job(s) missing from Redis (restarted without persistence?); submitting them again`);
      await uploadWeights(session.root, lost, session.client);
      await submit(session, lost, attempts);
    }
    for (const status of statuses) {
      const before = seen.get(status.job);
      if (status.state === 'active' && (!before || before.worker !== status.worker)) onEvent({ kind: 'start', job: status.job, worker: status.worker, message: status.worker });
      if (status.state === 'active' && status.epoch && status.epoch > (before?.epoch ?? 0)) {
        onEvent({ kind: 'epoch', job: status.job, epoch: status.epoch, epochs: status.epochs, worker: status.worker, message: status.worker });
      }
      if (status.state === 'active') seen.set(status.job, { worker: status.worker, epoch: status.epoch ?? 0 });
      if (status.state === 'done') {
        result.completed.push(status.job);
        onEvent({ kind: 'done', job: status.job, worker: status.worker, message: status.worker });
      }
      if (status.state === 'failed') {
        result.failed.push({ job: status.job, error: status.error! });
        onEvent({ kind: 'failed', job: status.job, message: status.error });
      }
    }
    const finished = new Set(statuses.filter((s) => s.state === 'done' || s.state === 'failed').map((s) => s.job));
    finishedStatus.push(...statuses.filter((s) => finished.has(s.job)));
    open = open.filter((j) => !finished.has(jobIdOf(j)));
    options.onStatus?.(summarise(session, experiment, [...finishedStatus, ...statuses.filter((s) => !finished.has(s.job))]));
    if (open.length > 0) await new Promise((wake) => setTimeout(wake, options.pollMs ?? 500));
  }
}

/**
 * The queue behind the common executor interface: submit every unfinished job, then (unless
 * detached) wait until each is done or failed, writing results into the store as they arrive.
 */
export function bullmqExecutor(options: BullmqExecutorOptions): Executor {
  return {
    name: 'bullmq',
    async run(root, jobs, onEvent = () => {}) {
      const attempts = options.attempts ?? 3;
      const result: JobsResult = { completed: [], skipped: [], failed: [] };
      const pending = pendingJobs(root, jobs, result, onEvent);
      checkModels(pending);
      if (pending.length === 0) return result;
      const experiment = [...new Set(pending.map((j) => j.data.experiment))].join(', ');
      const session = await openSession(root, options.redis, options.log ?? (() => {}), options.insecure);
      try {
        await uploadWeights(root, pending, session.client);
        await submit(session, pending, attempts);
        if (options.detach) return { ...result, queued: pending.map(jobIdOf) };
        await follow(session, pending, result, options, attempts, onEvent, experiment);
        return result;
      } finally {
        await session.close();
      }
    },
  };
}
