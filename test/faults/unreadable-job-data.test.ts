import type { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { bullmqExecutor } from '../../src/experiments/bullmq-executor.js';
import { prepareTraining } from '../../src/experiments/plan.js';
import { QUEUE_NAME } from '../../src/experiments/queue-protocol.js';
import { parseExperimentSpec } from '../../src/experiments/spec.js';
import { freePort, killWorker, openQueue, RedisServer, startWorker, type WorkerProcess } from '../helpers/queue.js';
import { redisAvailable, scratchFolders, stderrOf } from './helpers.js';

/**
 * Fault: job data that is not JSON, written straight into Redis, made one job vanish from every
 * list and another cycle active → stalled for ever (BullMQ's JSON.parse threw inside the
 * worker's fetch loop). Now each such job ends failed, with the reason, and the worker goes on
 * serving; submitting the spec again replaces the broken job and trains the run.
 */
const scratch = scratchFolders('unreadable');
const spec = parseExperimentSpec({ name: 'probe', base: { model: 'mlp', modelOptions: { width: 8 }, dataset: 'mnist', trainSubset: 100, testSubset: 50, epochs: 1, batchSize: 50 } });

describe.runIf(redisAvailable('unreadable-job-data.test.ts'))('fault: non-JSON job data written into Redis', { timeout: 300_000 }, () => {
  let redis: RedisServer | null = null;
  let worker: WorkerProcess | null = null;
  let queue: Queue | null = null;
  afterAll(async () => {
    if (worker) killWorker(worker);
    await queue?.close();
    await redis?.stop();
  });

  it('fails each such job with its reason, and a new submission trains the run', async () => {
    redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    queue = await openQueue(redis.url);
    const client = await queue.client;
    // Queued as BullMQ does, then their data replaced in Redis by text that is not JSON.
    const [planned] = prepareTraining(scratch(), spec);
    await queue.add('train', planned!.data, { jobId: 'probe/seed-0', attempts: 3 });
    await queue.add('measure', { experiment: 'probe' }, { jobId: 'probe/step/shard', attempts: 3 });
    await client.hset(`bull:${QUEUE_NAME}:probe/seed-0`, 'data', '{"experiment": "probe", trunc');
    await client.hset(`bull:${QUEUE_NAME}:probe/step/shard`, 'data', '\u0000\u0001 binary');

    worker = await startWorker(redis.url, { env: { TMPDIR: scratch(), SKIPLAB_BACKEND: 'ts' } });
    const log = stderrOf(worker.process);
    for (const id of ['probe/seed-0', 'probe/step/shard']) {
      while ((await queue.getJobState(id)) !== 'failed') await new Promise((wake) => setTimeout(wake, 100));
      const reason = await client.hget(`bull:${QUEUE_NAME}:${id}`, 'failedReason');
      expect(reason).toMatch(new RegExp(`^job ${id}: its data in Redis is not JSON \\(`));
      expect(await client.hget(`bull:${QUEUE_NAME}:${id}`, 'atm'), 'failed at once: a retry would read the same bytes').toBe('1');
    }
    expect(await queue.getJobCounts('active', 'wait', 'failed')).toEqual({ active: 0, wait: 0, failed: 2 });

    // The spec submitted again: the broken job is replaced, and the run trains on the same worker.
    const store = scratch();
    const result = await bullmqExecutor({ redis: redis.url, pollMs: 100 }).run(store, prepareTraining(store, spec));
    expect(result.failed, log.text).toEqual([]);
    expect(result.completed).toEqual(['probe/seed-0']);
  });
});
