import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killWorker, RedisServer, startWorker, type WorkerProcess } from '../helpers/queue.js';
import { exitOf, redisAvailable, scratchFolders, stderrOf } from './helpers.js';

/**
 * Fault: a worker whose Redis had gone away ignored SIGTERM, twice — closing the queue waited
 * for a connection that never came back. Now a stopping worker gives up on a Redis that has not
 * answered for a few seconds (its jobs are retried elsewhere) and exits; a second signal exits at
 * once. Each case kills a real redis-server before signalling the worker.
 */
const scratch = scratchFolders('redis-gone');

describe.runIf(redisAvailable('worker-redis-gone.test.ts'))('fault: a worker whose Redis has gone away', { timeout: 300_000 }, () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => workers.forEach(killWorker));

  /** A worker on its own Redis, which is then killed; resolves once the worker noticed. */
  async function orphanedWorker(): Promise<{ worker: WorkerProcess; log: { text: string } }> {
    const redis = new RedisServer(await freePort(), scratch());
    await redis.start();
    const worker = await startWorker(redis.url, { env: { TMPDIR: scratch() } });
    workers.push(worker);
    const log = stderrOf(worker.process);
    redis.process!.kill('SIGKILL');
    while (!/reconnecting/.test(log.text)) await new Promise((wake) => setTimeout(wake, 100));
    return { worker, log };
  }

  it('stops on SIGTERM, saying it gave up on Redis', async () => {
    const { worker, log } = await orphanedWorker();
    worker.process.kill('SIGTERM');
    expect(await exitOf(worker.process), log.text).toBe(0);
    expect(log.text).toMatch(/SIGTERM: finishing the current run\(s\), then exiting/);
    expect(log.text).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ has not answered for 5 s: stopping now; unfinished jobs will be retried/);
  });

  it('stops at once on a second SIGTERM', async () => {
    const { worker, log } = await orphanedWorker();
    worker.process.kill('SIGTERM');
    while (!/SIGTERM: finishing/.test(log.text)) await new Promise((wake) => setTimeout(wake, 50));
    worker.process.kill('SIGTERM');
    expect(await exitOf(worker.process), log.text).toBe(1);
    expect(log.text).toMatch(/SIGTERM again: stopping now; unfinished runs will be retried/);
    expect(log.text).not.toMatch(/has not answered/);
  });
});
