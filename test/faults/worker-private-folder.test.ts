import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bullmqExecutor } from '../../src/experiments/bullmq-executor.js';
import { prepareTraining } from '../../src/experiments/plan.js';
import { parseExperimentSpec } from '../../src/experiments/spec.js';
import { freePort, killWorker, RedisServer, startWorker, type WorkerProcess } from '../helpers/queue.js';
import { exitOf, redisAvailable, scratchFolders, stderrOf } from './helpers.js';

/**
 * Fault: a worker without --store kept its runs in the fixed folder `<tmp>/skiplab-worker-runs`;
 * another user planted a link there to their victim's folder, holding a run of the same name
 * with another config, and the worker deleted the victim's run through the link (a config
 * mismatch cleans the private folder) and trained inside it. Now each worker makes its own
 * mode-0700 folder with mkdtemp, never follows the planted link, and removes its folder when it
 * stops.
 */
const scratch = scratchFolders('worker-folder');

describe.runIf(redisAvailable('worker-private-folder.test.ts'))('fault: the worker\'s private folder in the shared temp dir', { timeout: 300_000 }, () => {
  let redis: RedisServer | null = null;
  let worker: WorkerProcess | null = null;
  afterAll(async () => {
    if (worker) killWorker(worker);
    await redis?.stop();
  });

  it('trains in a fresh 0700 folder of its own, leaves a planted link and its target alone, and removes its folder on SIGTERM', async () => {
    const tmp = scratch();
    const victim = scratch();
    // The victim's run of the same name, with another config: the old worker deleted it.
    mkdirSync(join(victim, 'probe', 'seed-0'), { recursive: true });
    writeFileSync(join(victim, 'probe', 'seed-0', 'config.json'), '{"mine": true}\n');
    writeFileSync(join(victim, 'precious.txt'), 'keep me\n');
    symlinkSync(victim, join(tmp, 'skiplab-worker-runs'));

    redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    worker = await startWorker(redis.url, { env: { TMPDIR: tmp, SKIPLAB_BACKEND: 'ts' } });
    const log = stderrOf(worker.process);
    const spec = parseExperimentSpec({ name: 'probe', base: { model: 'mlp', modelOptions: { width: 8 }, dataset: 'mnist', trainSubset: 100, testSubset: 50, epochs: 1, batchSize: 50 } });
    const store = scratch();
    const result = await bullmqExecutor({ redis: redis.url, pollMs: 100 }).run(store, prepareTraining(store, spec));
    expect(result.failed).toEqual([]);
    expect(result.completed).toEqual(['probe/seed-0']);

    // The victim's folder is as it was.
    expect(readdirSync(victim).sort()).toEqual(['precious.txt', 'probe']);
    expect(readdirSync(join(victim, 'probe', 'seed-0'))).toEqual(['config.json']);
    expect(readFileSync(join(victim, 'probe', 'seed-0', 'config.json'), 'utf8')).toBe('{"mine": true}\n');

    // The run trained in a folder of the worker's own, under its TMPDIR, that only its user can enter.
    const summary = JSON.parse(readFileSync(join(store, 'probe', 'seed-0', 'summary.json'), 'utf8')) as { executor: { checkpoint: { path: string } } };
    const checkpoint = summary.executor.checkpoint.path;
    // (tsx keeps its cache beside it, in tsx-*.)
    const own = readdirSync(tmp).filter((f) => f.startsWith('skiplab-') && f !== 'skiplab-worker-runs');
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/^skiplab-worker-/);
    expect(checkpoint.startsWith(join(tmp, own[0]!, 'probe', 'seed-0'))).toBe(true);
    expect(statSync(join(tmp, own[0]!)).mode & 0o777).toBe(0o700);

    worker.process.kill('SIGTERM');
    expect(await exitOf(worker.process), log.text).toBe(0);
    expect(existsSync(join(tmp, own[0]!)), 'the private folder is removed when the worker stops').toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('skiplab-'))).toEqual(['skiplab-worker-runs']);
    expect(readdirSync(victim).sort()).toEqual(['precious.txt', 'probe']);
  });
});
