import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqExecutor, type BullmqExecutorOptions } from '../../src/experiments/bullmq-executor.js';
import type { JobEvent } from '../../src/experiments/jobs.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { prepareTraining } from '../../src/experiments/plan.js';
import { parseExperimentSpec, type ExperimentSpec, type ExperimentSpecInput } from '../../src/experiments/spec.js';
import { ExperimentStore } from '../../src/experiments/store.js';
import { alive, freePort, haveRedis, killWorker, openQueue, RedisServer, startWorker as startQueueWorker, type WorkerProcess } from '../helpers/queue.js';

/**
 * The BullMQ executor against a real redis-server started here on 127.0.0.1 (Debian's package;
 * `.ci/run` installs it). Without it the suite is skipped locally and fails in CI. Workers are
 * real `skiplab worker` processes; every run is a tiny MLP so a whole sweep takes seconds.
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-queue-'));
  dirs.push(d);
  return d;
};

// Both executors use the TypeScript reference backend so their numbers can be compared exactly
// (thread counts and SIMD paths differ between a pool and a worker otherwise).
const env = { SKIPLAB_BACKEND: 'ts' };

const tinySpec = (name: string, grid: ExperimentSpecInput['grid'] = { lr: [0.1, 0.05, 0.02] }, seeds = [0, 1]) => parseExperimentSpec({
  name, base: { model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 300, testSubset: 100, epochs: 2, batchSize: 50 }, grid, seeds,
});

const workers: WorkerProcess[] = [];
async function startWorker(redis: string, store: string, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const worker = await startQueueWorker(redis, { store, env: { ...env, ...extraEnv } });
  workers.push(worker);
  return worker;
}

const comparable = (store: ExperimentStore, run: string) => {
  const summary = store.runDirectory(run).readSummary()!;
  const epochs = store.runDirectory(run).readMetrics().map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
  return { status: summary.status, epochs: summary.epochs, steps: summary.steps, parameterCount: summary.parameterCount, final: summary.final, metrics: epochs };
};

describe('queue libraries', () => {
  it('load only through dynamic import(), so the local executor never needs them', () => {
    const sources = readdirSync(join(repo, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const users: string[] = [];
    for (const file of sources) {
      const text = readFileSync(join(repo, 'src', file), 'utf8');
      for (const line of text.split('\n').filter((l) => /(from |import\()['"](bullmq|ioredis)['"]/.test(l))) {
        expect(line, `${file}: ${line}`).toMatch(/^import type |await import\(['"](bullmq|ioredis)['"]\)/);
        users.push(file);
      }
    }
    expect(users).toContain('experiments/bullmq-executor.ts');
  });
});

if (!haveRedis && process.env.CI) {
  describe('queue tests in CI', () => {
    it('need redis-server', () => {
      throw new Error('redis-server is not installed: the BullMQ tests must run in CI (.ci/run installs Debian\'s redis-server)');
    });
  });
}

if (!haveRedis && !process.env.CI) console.warn('bullmq.test.ts: skipped — redis-server is not installed (apt-get install -y redis-server)');

describe.runIf(haveRedis)('BullMQ executor', () => {
  let redis: RedisServer;
  let workerStore: string;
  let queue: Queue;
  let local: ExperimentStore;
  let localDone: Promise<unknown>;
  /** Train a spec's runs on the queue into a store at `root`; the store and the jobs' result. */
  const sweep = async (spec: ExperimentSpec, root: string, options: Partial<BullmqExecutorOptions> & { onEvent?: (e: JobEvent) => void } = {}) => {
    const result = await bullmqExecutor({ redis: redis.url, pollMs: 100, ...options }).run(root, prepareTraining(root, spec), options.onEvent);
    return { ...result, store: new ExperimentStore(root, spec), runs: (ids: string[]) => ids.map((id) => id.slice(spec.name.length + 1)).sort() };
  };

  beforeAll(async () => {
    redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    workerStore = scratch();
    const localRoot = scratch();
    local = new ExperimentStore(localRoot, tinySpec('tiny'));
    // The local reference sweep trains while the workers start.
    const saved = process.env.SKIPLAB_BACKEND;
    process.env.SKIPLAB_BACKEND = 'ts';
    localDone = localExecutor({ workers: 2 }).run(localRoot, prepareTraining(localRoot, tinySpec('tiny')))
      .finally(() => (saved === undefined ? delete process.env.SKIPLAB_BACKEND : (process.env.SKIPLAB_BACKEND = saved)));
    await Promise.all([0, 1, 2].map(() => startWorker(redis.url, workerStore)));
    queue = await openQueue(redis.url);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) killWorker(w);
    await queue?.close();
    await redis?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('trains 6 runs on 3 worker processes into the coordinator store, same numbers as the local pool', async () => {
    // The coordinator's store is not the workers' store: results travel back through the queue.
    const events: JobEvent[] = [];
    const result = await sweep(tinySpec('tiny'), scratch(), { onEvent: (e) => events.push(e) });
    const { store } = result;
    await localDone;
    expect(result.failed).toEqual([]);
    expect(result.runs(result.completed)).toEqual(store.runs().map((r) => r.id).sort());
    for (const run of store.runs()) {
      expect(comparable(store, run.id)).toEqual(comparable(local, run.id));
      expect(readdirSync(store.runDirectory(run).path)).not.toContain('checkpoint.safetensors');
    }
    const byWorker = new Set(store.runs().map((r) => (store.runDirectory(r).readSummary()!.executor as { worker: string }).worker));
    expect(byWorker.size).toBeGreaterThanOrEqual(2);
    for (const w of byWorker) expect(workers.map((x) => x.name)).toContain(w);
    expect(events.filter((e) => e.kind === 'done')).toHaveLength(6);
    // Submitting the same spec again finds every job finished: nothing is trained twice.
    const again = await sweep(tinySpec('tiny'), scratch());
    expect(again.completed.sort()).toEqual(result.completed.sort());
    const counts = await queue.getJobCounts('completed', 'waiting', 'active');
    expect(counts).toMatchObject({ waiting: 0, active: 0 });
  }, 120_000);

  it('a worker SIGKILLed mid-run: its run is retried by another worker from its checkpoint, every run completes once', async () => {
    // This worker stops (sleeps) inside its run's second checkpoint write, after the first
    // checkpoint is complete, so it is surely mid-run when it is killed.
    const doomed = await startWorker(redis.url, workerStore, { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:2' });
    let killed: string | null = null;
    const watch = setInterval(() => {
      void queue.getActive().then((jobs) => {
        const job = jobs.find((j) => (j.progress as { worker?: string; epoch?: number }).worker === doomed.name && (j.progress as { epoch: number }).epoch >= 1);
        if (job && !killed) {
          killed = job.data.run as string;
          killWorker(doomed); // the worker and its training child, as when a machine dies
        }
      });
    }, 50);
    const result = await sweep(tinySpec('tiny-kill'), workerStore).finally(() => clearInterval(watch));
    const { store } = result;
    expect(killed).not.toBeNull();
    expect(result.failed).toEqual([]);
    expect(new Set(result.completed).size).toBe(6);
    expect(result.runs(result.completed)).toEqual(store.runs().map((r) => r.id).sort());
    // Same numbers as the uninterrupted local runs, each epoch recorded once and in order.
    for (const run of store.runs()) expect(comparable(store, run.id)).toEqual(comparable(local, run.id));
    const executor = store.runDirectory(killed!).readSummary()!.executor as { worker: string; attempts: number; resumed: boolean };
    expect(executor.worker).not.toBe(doomed.name);
    expect(executor.resumed).toBe(true);
    expect(executor.attempts).toBe(2);
  }, 120_000);

  it('Redis restarted mid-sweep: workers and coordinator reconnect and the sweep completes', async () => {
    let restarted: Promise<void> | null = null;
    let done = 0;
    let doneWhileUp = -1;
    const result = await sweep(tinySpec('tiny-restart'), scratch(), {
      onEvent: (e) => {
        if (e.kind !== 'done') return;
        done++;
        restarted ??= redis.stop()
          .then(() => void (doneWhileUp = done))
          .then(() => new Promise((wake) => setTimeout(wake, 500)))
          .then(() => redis.start());
      },
    });
    await restarted;
    // Runs finished after the restart: 6 runs on 3 workers cannot all be done at the first result.
    expect(doneWhileUp).toBeGreaterThan(0);
    expect(doneWhileUp).toBeLessThan(6);
    expect(result.failed).toEqual([]);
    expect(result.runs(result.completed)).toEqual(result.store.runs().map((r) => r.id).sort());
    for (const run of result.store.runs()) expect(comparable(result.store, run.id)).toEqual(comparable(local, run.id));
  }, 120_000);

  it('fails a malformed job or an unknown model with a clear error, and the workers live on', async () => {
    const failure = async (id: string, data: unknown, name = 'train'): Promise<{ reason: string; attempts: number }> => {
      await queue.add(name, data, { jobId: id, attempts: 3 });
      for (;;) {
        // State first, then the job: a job read before it failed is a snapshot without failedReason.
        if ((await queue.getJobState(id)) === 'failed') {
          const job = (await queue.getJob(id))!;
          return { reason: job.failedReason, attempts: job.attemptsMade };
        }
        await new Promise((wake) => setTimeout(wake, 100));
      }
    };
    const malformed = await failure('bad/payload', { experiment: 'x', run: '../../etc', config: { model: 'mlp' } });
    expect(malformed.reason).toMatch(/job bad\/payload: malformed job payload: run: must be a plain folder name.*config\.dataset/);
    expect(malformed.attempts).toBe(1); // not retried: it would fail the same way
    const unknown = await failure('bad/model', { experiment: 'x', run: 'y', config: { ...tinySpec('x').base, model: 'no_such_model', epochs: 1, seed: 0 } });
    expect(unknown.reason).toMatch(/job bad\/model: unknown model 'no_such_model'; known models: .*mlp/);
    const shard = { experiment: 'x', step: 'no-such-step', shard: 'seed-0', sources: {}, params: {} };
    const unknownStep = await failure('bad/step', shard, 'measure');
    expect(unknownStep.reason).toMatch(/job bad\/step: unknown measurement step 'no-such-step' \(known: .*landscape-row/);
    expect(unknownStep.attempts).toBe(1);
    const escaping = await failure('bad/shard', { ...shard, step: 'lesion-single', shard: '../../x' }, 'measure');
    expect(escaping.reason).toMatch(/malformed job payload: shard: must be a plain folder name/);
    for (const w of workers.slice(0, 3)) expect(alive(w)).toBe(true);

    const badSpec = parseExperimentSpec({ name: 'bad-model', base: { model: 'no_such_model', dataset: 'mnist', epochs: 1 } });
    await expect(sweep(badSpec, scratch())).rejects.toThrow(/spec 'bad-model', run seed-0: unknown model 'no_such_model'/);
  }, 60_000);

  it('names a wrong Redis URL', async () => {
    const root = scratch();
    const jobs = prepareTraining(root, tinySpec('tiny-url'));
    const closed = await freePort();
    await expect(bullmqExecutor({ redis: `redis://127.0.0.1:${closed}` }).run(root, jobs)).rejects.toThrow(new RegExp(`cannot reach Redis at redis://127.0.0.1:${closed}: connect ECONNREFUSED`));
    await expect(bullmqExecutor({ redis: 'http://127.0.0.1:6379' }).run(root, jobs)).rejects.toThrow(/--redis: 'http:\/\/127.0.0.1:6379' is not a redis:\/\/ or rediss:\/\/ URL/);
    await expect(bullmqExecutor({ redis: 'redis://user:secret@127.0.0.1:1' }).run(root, jobs)).rejects.toThrow(/redis:\/\/user:\*\*\*@127.0.0.1:1/);
  }, 30_000);

  it('a worker sent SIGTERM finishes its current run, then exits 0', async () => {
    let stopped: WorkerProcess | undefined;
    const watch = setInterval(() => {
      void queue.getActive().then((jobs) => {
        const job = jobs.find((j) => j.data.experiment === 'tiny-term');
        if (stopped) return;
        stopped = workers.find((w) => w.name === job?.processedBy);
        stopped?.process.kill('SIGTERM'); // once (a second one means "stop now"); the worker only, not its training child
      });
    }, 50);
    const result = await sweep(tinySpec('tiny-term', { lr: [0.1] }, [0]), scratch()).finally(() => clearInterval(watch));
    const { store } = result;
    expect(stopped).toBeDefined();
    expect(result.completed).toEqual(['tiny-term/lr-0.1_seed-0']);
    const executor = store.runDirectory('lr-0.1_seed-0').readSummary()!.executor as { worker: string; attempts: number };
    expect(executor).toMatchObject({ worker: stopped!.name, attempts: 1 });
    const code = stopped!.process.exitCode ?? await new Promise((done) => stopped!.process.once('exit', done));
    expect(code).toBe(0);
  }, 60_000);
});
