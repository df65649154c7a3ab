import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBullmqSweep, type BullmqExecutorOptions } from '../../src/experiments/bullmq-executor.js';
import { runLocalSweep, type SweepEvent } from '../../src/experiments/local-executor.js';
import { QUEUE_NAME } from '../../src/experiments/queue-protocol.js';
import { parseExperimentSpec, type ExperimentSpecInput } from '../../src/experiments/spec.js';
import { ExperimentStore } from '../../src/experiments/store.js';

/**
 * The BullMQ executor against a real redis-server started here on 127.0.0.1 (Debian's package;
 * `.ci/run` installs it). Without it the suite is skipped locally and fails in CI. Workers are
 * real `skiplab worker` processes; every run is a tiny MLP so a whole sweep takes seconds.
 */
const repo = fileURLToPath(new URL('../../', import.meta.url));
const haveRedis = !spawnSync('redis-server', ['--version']).error;
const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-queue-'));
  dirs.push(d);
  return d;
};

// Both executors use the TypeScript reference backend so their numbers can be compared exactly
// (thread counts and SIMD paths differ between a pool and a worker otherwise).
const env = { ...process.env, SKIPLAB_BACKEND: 'ts' };

const tinySpec = (name: string, grid: ExperimentSpecInput['grid'] = { lr: [0.1, 0.05, 0.02] }, seeds = [0, 1]) => parseExperimentSpec({
  name, base: { model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 300, testSubset: 100, epochs: 2, batchSize: 50 }, grid, seeds,
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** Wait until a child's stderr/stdout shows `pattern`; reject if it exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
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

class RedisServer {
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

interface WorkerProcess {
  process: ChildProcess;
  name: string;
}
const workers: WorkerProcess[] = [];

/** A `skiplab worker` in its own process group (so a test can kill it with its training child). */
async function startWorker(redis: string, store: string, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', redis, '--store', store, '--lock-duration', '2000', '--stalled-interval', '1000'], {
    cwd: repo, env: { ...env, ...extraEnv }, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const worker = { process: child, name: `${hostname()}:${child.pid}` };
  workers.push(worker);
  await waitForOutput(child, /on skiplab-runs/, 'skiplab worker');
  return worker;
}

const comparable = (store: ExperimentStore, run: string) => {
  const summary = store.runDirectory(run).readSummary()!;
  const epochs = store.runDirectory(run).readMetrics().map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
  return { status: summary.status, epochs: summary.epochs, steps: summary.steps, parameterCount: summary.parameterCount, final: summary.final, metrics: epochs };
};

const alive = (w: WorkerProcess): boolean => w.process.exitCode === null && w.process.signalCode === null;

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
  const sweep = (store: ExperimentStore, options: Partial<BullmqExecutorOptions> = {}) => runBullmqSweep(store, { redis: redis.url, pollMs: 100, ...options });

  beforeAll(async () => {
    redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    workerStore = scratch();
    local = new ExperimentStore(scratch(), tinySpec('tiny'));
    // The local reference sweep trains while the workers start.
    const saved = process.env.SKIPLAB_BACKEND;
    process.env.SKIPLAB_BACKEND = 'ts';
    localDone = runLocalSweep(local, { workers: 2 }).finally(() => (saved === undefined ? delete process.env.SKIPLAB_BACKEND : (process.env.SKIPLAB_BACKEND = saved)));
    await Promise.all([0, 1, 2].map(() => startWorker(redis.url, workerStore)));
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    connection.on('error', () => {}); // refused while the restart test has Redis down
    queue = new Queue(QUEUE_NAME, { connection });
    queue.on('error', () => {});
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (alive(w)) process.kill(-w.process.pid!, 'SIGKILL');
    await queue?.close();
    await redis?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('trains 6 runs on 3 worker processes into the coordinator store, same numbers as the local pool', async () => {
    // The coordinator's store is not the workers' store: results travel back through the queue.
    const store = new ExperimentStore(scratch(), tinySpec('tiny'));
    const events: SweepEvent[] = [];
    const result = await sweep(store, { onEvent: (e) => events.push(e) });
    await localDone;
    expect(result.failed).toEqual([]);
    expect(result.completed.sort()).toEqual(store.runs().map((r) => r.id).sort());
    for (const run of store.runs()) {
      expect(comparable(store, run.id)).toEqual(comparable(local, run.id));
      expect(readdirSync(store.runDirectory(run).path)).not.toContain('checkpoint.safetensors');
    }
    const byWorker = new Set(store.runs().map((r) => (store.runDirectory(r).readSummary()!.executor as { worker: string }).worker));
    expect(byWorker.size).toBeGreaterThanOrEqual(2);
    for (const w of byWorker) expect(workers.map((x) => x.name)).toContain(w);
    expect(events.filter((e) => e.kind === 'done')).toHaveLength(6);
    // Submitting the same spec again finds every job finished: nothing is trained twice.
    const again = await sweep(new ExperimentStore(scratch(), tinySpec('tiny')));
    expect(again.completed.sort()).toEqual(result.completed.sort());
    const counts = await queue.getJobCounts('completed', 'waiting', 'active');
    expect(counts).toMatchObject({ waiting: 0, active: 0 });
  }, 120_000);

  it('a worker SIGKILLed mid-run: its run is retried by another worker from its checkpoint, every run completes once', async () => {
    // This worker stops (sleeps) inside its run's second checkpoint write, after the first
    // checkpoint is complete, so it is surely mid-run when it is killed.
    const doomed = await startWorker(redis.url, workerStore, { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:2' });
    const store = new ExperimentStore(workerStore, tinySpec('tiny-kill'));
    let killed: string | null = null;
    const watch = setInterval(() => {
      void queue.getActive().then((jobs) => {
        const job = jobs.find((j) => (j.progress as { worker?: string; epoch?: number }).worker === doomed.name && (j.progress as { epoch: number }).epoch >= 1);
        if (job && !killed) {
          killed = job.data.run as string;
          process.kill(-doomed.process.pid!, 'SIGKILL'); // the worker and its training child, as when a machine dies
        }
      });
    }, 50);
    const result = await sweep(store).finally(() => clearInterval(watch));
    expect(killed).not.toBeNull();
    expect(result.failed).toEqual([]);
    expect(new Set(result.completed).size).toBe(6);
    expect(result.completed.sort()).toEqual(store.runs().map((r) => r.id).sort());
    // Same numbers as the uninterrupted local runs, each epoch recorded once and in order.
    for (const run of store.runs()) expect(comparable(store, run.id)).toEqual(comparable(local, run.id));
    const executor = store.runDirectory(killed!).readSummary()!.executor as { worker: string; attempts: number; resumed: boolean };
    expect(executor.worker).not.toBe(doomed.name);
    expect(executor.resumed).toBe(true);
    expect(executor.attempts).toBe(2);
  }, 120_000);

  it('Redis restarted mid-sweep: workers and coordinator reconnect and the sweep completes', async () => {
    const store = new ExperimentStore(scratch(), tinySpec('tiny-restart'));
    let restarted: Promise<void> | null = null;
    let done = 0;
    let doneWhileUp = -1;
    const result = await sweep(store, {
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
    expect(result.completed.sort()).toEqual(store.runs().map((r) => r.id).sort());
    for (const run of store.runs()) expect(comparable(store, run.id)).toEqual(comparable(local, run.id));
  }, 120_000);

  it('fails a malformed job or an unknown model with a clear error, and the workers live on', async () => {
    const failure = async (id: string, data: unknown): Promise<{ reason: string; attempts: number }> => {
      await queue.add('train', data, { jobId: id, attempts: 3 });
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
    for (const w of workers.slice(0, 3)) expect(alive(w)).toBe(true);

    const badSpec = parseExperimentSpec({ name: 'bad-model', base: { model: 'no_such_model', dataset: 'mnist', epochs: 1 } });
    await expect(sweep(new ExperimentStore(scratch(), badSpec))).rejects.toThrow(/spec 'bad-model', run seed-0: unknown model 'no_such_model'/);
  }, 60_000);

  it('names a wrong Redis URL', async () => {
    const store = new ExperimentStore(scratch(), tinySpec('tiny-url'));
    const closed = await freePort();
    await expect(runBullmqSweep(store, { redis: `redis://127.0.0.1:${closed}` })).rejects.toThrow(new RegExp(`cannot reach Redis at redis://127.0.0.1:${closed}: connect ECONNREFUSED`));
    await expect(runBullmqSweep(store, { redis: 'http://127.0.0.1:6379' })).rejects.toThrow(/--redis: 'http:\/\/127.0.0.1:6379' is not a redis:\/\/ or rediss:\/\/ URL/);
    await expect(runBullmqSweep(store, { redis: 'redis://user:secret@127.0.0.1:1' })).rejects.toThrow(/redis:\/\/user:\*\*\*@127.0.0.1:1/);
  }, 30_000);

  it('a worker sent SIGTERM finishes its current run, then exits 0', async () => {
    const store = new ExperimentStore(scratch(), tinySpec('tiny-term', { lr: [0.1] }, [0]));
    let stopped: WorkerProcess | undefined;
    const watch = setInterval(() => {
      void queue.getActive().then((jobs) => {
        const job = jobs.find((j) => j.data.experiment === 'tiny-term');
        if (stopped) return;
        stopped = workers.find((w) => w.name === job?.processedBy);
        stopped?.process.kill('SIGTERM'); // once (a second one means "stop now"); the worker only, not its training child
      });
    }, 50);
    const result = await sweep(store).finally(() => clearInterval(watch));
    expect(stopped).toBeDefined();
    expect(result.completed).toEqual(['lr-0.1_seed-0']);
    const executor = store.runDirectory('lr-0.1_seed-0').readSummary()!.executor as { worker: string; attempts: number };
    expect(executor).toMatchObject({ worker: stopped!.name, attempts: 1 });
    const code = stopped!.process.exitCode ?? await new Promise((done) => stopped!.process.once('exit', done));
    expect(code).toBe(0);
  }, 60_000);
});
