import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_EXPERIMENTS, analysisPlan, type AnalysisSettings } from '../../src/experiments/analysis/index.js';
import { bullmqExecutor } from '../../src/experiments/bullmq-executor.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { runExperiments } from '../../src/experiments/plan.js';
import { landscapeResultsSchema } from '../../src/experiments/results/landscape.js';
import { readShard } from '../../src/experiments/shards.js';
import { buildReport } from '../../src/report/build.js';
import { alive, freePort, haveRedis, killWorker, openQueue, RedisServer, startWorker, type WorkerProcess } from '../helpers/queue.js';

/**
 * Analysis experiments on BullMQ workers: the 2-D loss surface computed row by row on two
 * workers, one of them killed mid-surface, equal to a local run; and every analysis experiment
 * end to end on the queue. Workers run in a private folder (no shared store): trained weights
 * reach the coordinator, and the measurements reach the workers, through Redis. Tiny models and
 * data, so each experiment takes seconds.
 */
const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-queue-pipeline-'));
  dirs.push(d);
  return d;
};
// Both executors compute on the reference backend, one thread, so their numbers can be compared exactly.
const env = { SKIPLAB_BACKEND: 'ts' };
const tiny: AnalysisSettings = {
  mode: 'quick', dataset: 'fashion-mnist', seeds: [0], epochs: 1, trainSubset: 96,
  sizes: { depth: 8, width: 4, testSubset: 32, trials: 1, grid: 6, line: 3, images: 32, hessianIterations: 2, samplesPerLength: 1, probe: 16, size: 32, layers: 2, dim: 16 },
};
const withoutTimes = (results: { seconds?: number; writtenAt?: string }) => ({ ...results, seconds: undefined, writtenAt: undefined });

describe.runIf(haveRedis)('analysis experiments on BullMQ', () => {
  let redis: RedisServer;
  let queue: Queue;
  const workers: WorkerProcess[] = [];
  let localRoot: string;
  let localDone: Promise<unknown>;

  beforeAll(async () => {
    redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    // The local reference landscape runs while the workers start.
    localRoot = scratch();
    const saved = process.env.SKIPLAB_BACKEND;
    process.env.SKIPLAB_BACKEND = 'ts';
    localDone = runExperiments([analysisPlan('landscape', tiny)], localExecutor({ workers: 2, threads: 1 }), localRoot)
      .finally(() => (saved === undefined ? delete process.env.SKIPLAB_BACKEND : (process.env.SKIPLAB_BACKEND = saved)));
    const workerTmp = scratch();
    for (let i = 0; i < 2; i++) workers.push(await startWorker(redis.url, { env: { ...env, TMPDIR: workerTmp } }));
    queue = await openQueue(redis.url);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) killWorker(w);
    await queue?.close();
    await redis?.stop();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('computes the 2-D surface as row shards on both workers; a worker killed mid-surface loses no finished row; the result equals a local run', async () => {
    const root = scratch();
    const [doomed, survivor] = workers as [WorkerProcess, WorkerProcess];
    let killedRow: string | null = null;
    // Kill the first worker (with its job's process, as when a machine dies) while it computes a
    // row, once it has finished at least one.
    const watch = setInterval(() => {
      if (killedRow) return;
      void Promise.all([queue.getCompleted(), queue.getActive()]).then(([completed, active]) => {
        const finishedRow = completed.some((j) => j.name === 'measure' && j.data.step === 'landscape-row' && (j.returnvalue as { worker?: string }).worker === doomed.name);
        const current = active.find((j) => j.data.step === 'landscape-row' && (j.progress as { worker?: string }).worker === doomed.name);
        if (!finishedRow || !current || killedRow) return;
        killedRow = current.data.shard as string;
        killWorker(doomed);
      });
    }, 50);
    const [outcome] = await runExperiments([analysisPlan('landscape', tiny)], bullmqExecutor({ redis: redis.url, pollMs: 100 }), root).finally(() => clearInterval(watch));
    expect(outcome!.error).toBeUndefined();
    expect(killedRow).not.toBeNull();
    expect(alive(doomed)).toBe(false);

    const jobs = (await queue.getCompleted()).filter((j) => j.data.experiment === 'landscape-quick' && j.data.step === 'landscape-row');
    const records = jobs.map((j) => ({ shard: j.data.shard as string, record: readShard(root, j.data)! }));
    expect(records).toHaveLength(2 * 6);
    // Rows the killed worker finished stayed finished: computed once, by it, never again.
    const byDoomed = records.filter((r) => r.record.worker === doomed.name);
    expect(byDoomed.length).toBeGreaterThan(0);
    for (const r of byDoomed) expect(r.record.attempts).toBe(1);
    // The row it was computing when it died was computed again by the other worker.
    const retried = records.find((r) => r.shard === killedRow)!;
    expect(retried.record.worker).toBe(survivor.name);
    expect(retried.record.attempts).toBe(2);
    expect(new Set(records.map((r) => r.record.worker))).toEqual(new Set([doomed.name, survivor.name]));

    await localDone;
    const read = (dir: string) => landscapeResultsSchema.parse(JSON.parse(readFileSync(join(dir, 'landscape-quick', 'results.json'), 'utf8')));
    const [queued, local] = [read(root), read(localRoot)];
    expect(queued.seeds[0]!.models.map((m) => m.surface.losses.length)).toEqual([6, 6]);
    expect(withoutTimes(queued)).toEqual(withoutTimes(local));
  }, 300_000);

  it('runs every analysis experiment on the queue, end to end, into results.json and a report', async () => {
    // Two fresh workers on the default (fastest) backend: nothing here is compared across executors.
    for (const w of workers.splice(0)) killWorker(w);
    const tmp = scratch();
    for (let i = 0; i < 2; i++) workers.push(await startWorker(redis.url, { env: { TMPDIR: tmp } }));
    const root = scratch();
    const others = ANALYSIS_EXPERIMENTS.filter((name) => name !== 'landscape');
    const outcomes = await runExperiments(others.map((name) => analysisPlan(name, tiny)), bullmqExecutor({ redis: redis.url, pollMs: 100 }), root);
    for (const outcome of outcomes) {
      expect(outcome.error, outcome.plan.spec.name).toBeUndefined();
      expect(await buildReport(outcome.dir)).toBe(join(outcome.dir, 'report.html'));
    }
    const workersSeen = new Set((await queue.getCompleted()).filter((j) => j.name === 'measure' && others.some((n) => j.data.experiment === `${n}-quick`)).map((j) => (j.returnvalue as { worker: string }).worker));
    expect(workersSeen.size).toBe(2);
  }, 600_000);
});
