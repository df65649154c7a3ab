import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory } from '../train/run-store.js';
import { describeIssues } from '../util/zod-issues.js';
import { JobProcess, type JobExit } from './child-jobs.js';
import { localWeightsPath } from './executor.js';
import { EXIT_DETERMINISTIC } from './job-process.js';
import type { Job as PlannedJob, MeasureJob } from './jobs.js';
import { findMeasurementStep } from './measurement-steps.js';
import {
  connectRedis, downloadBlob, measureJobSchema, QUEUE_NAME, trainJobSchema, unknownModelError, uploadBlob,
  type JobProgress, type MeasureJobResult, type TrainJobResult,
} from './queue-protocol.js';
import { queueClasses, unreadableJobData } from './queue-classes.js';
import { redactRedisUrl } from './redis-url.js';
import { readShard } from './shards.js';
import { storePath } from './store-path.js';
import { sha256Hex } from './weights-file.js';

/**
 * A queue worker (`skiplab worker`): takes jobs from the BullMQ queue — training runs and
 * measurement shards — and runs each in a child process (the same `job-process` as the local
 * pool), reporting epochs as job progress and returning the run's metrics, summary and weights
 * (as blobs) or the shard's result. A bad job fails that job, never the worker.
 */
export interface QueueWorkerOptions {
  redis: string;
  /** Allow a Redis on another machine without a password (the user's `--insecure`). */
  insecure?: boolean;
  /** Jobs run at once, each in its own process (default 1). */
  concurrency?: number;
  /** Kernel threads per job (SKIPLAB_THREADS in each child; default 1). */
  threads?: number;
  /**
   * Store root shared with the coordinator: runs train in `<store>/<experiment>/<run>`, so a retry
   * on any machine resumes from the last checkpoint. Without it, jobs run in a folder private
   * to this worker (a fresh mode-0700 folder under the OS temp dir, removed when the worker
   * stops), where only a retry by this worker can resume.
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
  /**
   * Stop taking jobs; wait for the current ones to finish (or, with force, abandon them to a
   * retry). Never waits for a Redis that has gone away: after REDIS_GONE_MS without it, the jobs
   * are abandoned (their results could not be handed back anyway).
   */
  close(force?: boolean): Promise<void>;
  /** Kill the running jobs' processes at once (before exiting on a second signal). */
  abandon(): void;
}

/** How long a stopping worker waits for an unreachable Redis before it abandons its jobs. */
export const REDIS_GONE_MS = 5000;

/** Resolves 'gone' once `connection` has not been ready for `ms` in a row. */
function redisGone(connection: Redis, ms: number): { promise: Promise<'gone'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'gone'>((resolve) => {
    let downSince: number | null = null;
    timer = setInterval(() => {
      if (connection.status === 'ready') downSince = null;
      else if ((downSince ??= Date.now()) + ms <= Date.now()) resolve('gone');
    }, 100);
  });
  return { promise, cancel: () => clearInterval(timer) };
}

/** Make sure every weights file a shard reads is on this machine, fetching missing ones from Redis. */
async function fetchWeights(root: string, job: MeasureJob, client: Redis): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const [name, source] of Object.entries(job.sources)) {
    const { sha256 } = source.weights;
    let path = localWeightsPath(root, source.weights);
    const present = existsSync(path) && sha256Hex(readFileSync(path)) === sha256;
    if (!present) {
      // A user's file is kept by hash; a run's file at its place in this worker's store.
      if ('file' in source.weights) path = join(root, '.blobs', `${sha256}.safetensors`);
      if (!existsSync(path) || sha256Hex(readFileSync(path)) !== sha256) {
        const bytes = await downloadBlob(client, sha256);
        if (!bytes || sha256Hex(bytes) !== sha256) throw new Error(`weights ${sha256} of source '${name}' are neither on this machine nor in Redis`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileAtomicSync(path, bytes);
      }
    }
    paths[name] = path;
  }
  return paths;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const log = options.log ?? (() => {});
  const connection = await connectRedis(options.redis, log, { insecure: options.insecure });
  const blobs = connection.duplicate();
  blobs.on('error', () => {}); // reported through the main connection
  const { Worker, UnrecoverableError } = await queueClasses();
  const name = `${hostname()}:${process.pid}`;
  const shared = options.store !== undefined;
  // Without a shared store, a folder only this worker can enter: a fixed name in the shared
  // temp dir could be a link planted by another user, which this worker would train into and,
  // on a config mismatch, delete through.
  const root = shared ? resolve(options.store!) : mkdtempSync(join(tmpdir(), 'skiplab-worker-'));
  const lockDuration = options.lockDuration ?? 30_000;
  const children = new Set<JobProcess>();

  /** Run one planned job in a child; kill it if this worker loses the job's lock (another worker has it now). */
  async function runInChild(job: Job, token: string | undefined, planned: PlannedJob, weights?: Record<string, string>): Promise<void> {
    const child = new JobProcess(options.threads ?? 1);
    children.add(child);
    let lostLock = false;
    const lockKey = `${worker.toKey(job.id!)}:lock`;
    const lockWatch = setInterval(() => {
      void worker.client.then((client) => client.get(lockKey)).then((owner) => {
        if (token !== undefined && owner !== token && child.alive) {
          lostLock = true;
          child.child.kill('SIGKILL');
        }
      }).catch(() => {});
    }, Math.max(500, lockDuration / 2));
    let exit: JobExit;
    try {
      exit = await child.run({ job: planned, root, worker: name, attempts: Math.max(1, job.attemptsStarted), weights }, {
        onEpoch: (epoch, epochs, message) => {
          const progress: JobProgress = { worker: name, epoch, epochs, message };
          job.updateProgress(progress).catch(() => {}); // progress is advisory; the result is what counts
        },
      });
    } finally {
      clearInterval(lockWatch);
      child.close();
      children.delete(child);
    }
    if (exit.code === 0) return;
    if (lostLock) throw new Error(`job ${job.id}: this worker lost the job's lock (stalled), stopped its work`);
    const message = `job ${job.id}: ${planned.kind === 'train' ? 'training' : 'measurement'} ${exit.signal ? `killed by ${exit.signal}` : `exited ${exit.code}`}: ${exit.reason}`;
    if (exit.code === EXIT_DETERMINISTIC) throw new UnrecoverableError(message);
    throw new Error(message);
  }

  async function train(job: Job, token: string | undefined): Promise<TrainJobResult> {
    const parsed = trainJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: malformed job payload: ${describeIssues(parsed.error.issues)}`);
    const { experiment, run, config } = parsed.data;
    const modelError = unknownModelError(config.model);
    if (modelError) throw new UnrecoverableError(`job ${job.id}: ${modelError}`);
    const directory = new RunDirectory(storePath(root, experiment, run));
    try {
      directory.initialize(config);
    } catch (error) {
      if (shared) throw new UnrecoverableError(`job ${job.id}: ${(error as Error).message}`);
      // A run of an older spec of the same name, in this worker's own folder: nobody else reads
      // it. storePath checked that no link leads out of the folder, and rmSync removes links
      // inside it without following them.
      rmSync(storePath(root, experiment, run), { recursive: true, force: true });
      directory.initialize(config);
    }
    const resumed = directory.hasCheckpoint();
    log(`${job.id}: ${resumed ? 'resuming from its checkpoint' : 'started'} (attempt ${job.attemptsStarted})`);
    await runInChild(job, token, { kind: 'train', data: parsed.data });
    const summary = directory.readSummary();
    if (summary?.status !== 'complete') throw new Error(`job ${job.id}: training exited without a complete summary.json in ${directory.path}`);
    const metrics = directory.readMetrics();
    const speeds = metrics.filter((r) => r.kind === 'epoch' && typeof r.imagesPerSecond === 'number').map((r) => r.imagesPerSecond as number);
    const weightsDir = join(directory.path, 'weights');
    const weights = [];
    for (const file of existsSync(weightsDir) ? readdirSync(weightsDir).filter((f) => /^epoch-\d+\.safetensors$/.test(f)).sort() : []) {
      const bytes = readFileSync(join(weightsDir, file));
      const sha256 = sha256Hex(bytes);
      await uploadBlob(blobs, sha256, bytes);
      weights.push({ file: `weights/${file}`, sha256 });
    }
    log(`${job.id}: done`);
    return {
      worker: name,
      checkpoint: { host: hostname(), path: directory.checkpointPath, shared },
      resumed,
      imagesPerSecond: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : 0,
      metrics,
      summary,
      weights,
    };
  }

  async function measure(job: Job, token: string | undefined): Promise<MeasureJobResult> {
    const parsed = measureJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: malformed job payload: ${describeIssues(parsed.error.issues)}`);
    try {
      findMeasurementStep(parsed.data.step);
    } catch (error) {
      throw new UnrecoverableError(`job ${job.id}: ${(error as Error).message}`);
    }
    // Claim it in the progress record at once, so the coordinator can tell who computes each shard.
    await job.updateProgress({ worker: name } satisfies JobProgress).catch(() => {});
    log(`${job.id}: started (attempt ${job.attemptsStarted})`);
    const weights = await fetchWeights(root, parsed.data, blobs);
    await runInChild(job, token, { kind: 'measure', data: parsed.data }, weights);
    const record = readShard(root, parsed.data);
    if (!record) throw new Error(`job ${job.id}: the measurement exited without writing its shard in ${root}`);
    log(`${job.id}: done`);
    return { worker: name, seconds: record.seconds, result: record.result };
  }

  const processJob = async (job: Job, token: string | undefined): Promise<TrainJobResult | MeasureJobResult> => {
    const unreadable = unreadableJobData(job.data);
    if (unreadable !== null) throw new UnrecoverableError(`job ${job.id}: ${unreadable}`);
    return job.name === 'measure' ? measure(job, token) : train(job, token);
  };
  const worker = new Worker(QUEUE_NAME, processJob, {
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
  log(`worker ${name} on ${QUEUE_NAME}: concurrency ${options.concurrency ?? 1}, threads ${options.threads ?? 1}, jobs in ${root}${shared ? ' (shared store)' : ' (private)'}`);

  const abandon = (): void => {
    for (const child of children) child.child.kill('SIGKILL');
  };
  return {
    name,
    abandon,
    async close(force = false) {
      if (force) abandon();
      const closing = worker.close(force).then(() => 'closed' as const);
      const gone = redisGone(connection, REDIS_GONE_MS);
      let how: 'closed' | 'gone';
      try {
        how = await Promise.race([closing, gone.promise]);
      } finally {
        gone.cancel();
      }
      if (how === 'gone') {
        log(`Redis at ${redactRedisUrl(options.redis)} has not answered for ${REDIS_GONE_MS / 1000} s: stopping now; unfinished jobs will be retried`);
        abandon();
        closing.catch(() => {}); // never settles while Redis is away
      }
      blobs.disconnect();
      if (how === 'gone') connection.disconnect();
      else await connection.quit().catch(() => connection.disconnect());
      if (!shared) {
        try {
          rmSync(root, { recursive: true, force: true });
        } catch (error) {
          log(`could not remove the private folder ${root}: ${(error as Error).message}`);
        }
      }
    },
  };
}
