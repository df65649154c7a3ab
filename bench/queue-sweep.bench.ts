/**
 * Wall time of one experiment sweep on the BullMQ executor with 1, 2 and 3 `skiplab worker`
 * processes on this machine, next to the local process pool. Starts its own redis-server on a
 * free port (Debian's `redis-server` must be installed). Worker start-up is excluded: the clock
 * runs from submission to the last result in the coordinator's store.
 *
 *   npx tsx bench/queue-sweep.bench.ts [--runs 6] [--epochs 3] [--train-subset 2000]
 *
 * On one machine every worker shares its cores, so past the core count more workers only add
 * contention; the numbers show the queue's overhead and scaling, not a cluster's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bullmqExecutor } from '../src/experiments/bullmq-executor.js';
import { localExecutor } from '../src/experiments/local-executor.js';
import { prepareTraining } from '../src/experiments/plan.js';
import { parseExperimentSpec } from '../src/experiments/spec.js';

const argument = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = argument('--runs', 6);
const epochs = argument('--epochs', 3);
const trainSubset = argument('--train-subset', 2000);
const repo = fileURLToPath(new URL('../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'skiplab-queue-bench-'));

const spec = (name: string) => parseExperimentSpec({
  name, base: { model: 'mlp', modelOptions: { width: 64 }, dataset: 'mnist', trainSubset, testSubset: 500, epochs, batchSize: 50 },
  grid: {}, seeds: Array.from({ length: runs }, (_, i) => i),
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function started(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const look = (d: Buffer): void => {
      text += d.toString();
      if (pattern.test(text)) resolve();
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
  });
}

const port = await freePort();
const redisUrl = `redis://127.0.0.1:${port}`;
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', scratch, '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
await started(redis, /Ready to accept connections/);
console.log(`${runs} runs × ${epochs} epochs, MLP width 64 on ${trainSubset} MNIST images; ${availableParallelism()} cores`);
try {
  let t = performance.now();
  const local = join(scratch, 'local');
  await localExecutor({ workers: Math.min(availableParallelism(), runs), threads: 1 }).run(local, prepareTraining(local, spec('bench-local')));
  console.log(`local pool, ${Math.min(availableParallelism(), runs)} processes: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const count of [1, 2, 3]) {
    const workers = Array.from({ length: count }, () => spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', redisUrl, '--threads', '1'], {
      cwd: repo, env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'ignore', 'pipe'],
    }));
    await Promise.all(workers.map((w) => started(w, /on skiplab-runs/)));
    t = performance.now();
    const queued = join(scratch, 'queue');
    const result = await bullmqExecutor({ redis: redisUrl, pollMs: 100 }).run(queued, prepareTraining(queued, spec(`bench-w${count}`)));
    console.log(`bullmq, ${count} worker(s): ${((performance.now() - t) / 1000).toFixed(1)} s (${result.completed.length} done, ${result.failed.length} failed)`);
    for (const f of result.failed) console.log(`  ${f.job}: ${f.error}`);
    await Promise.all(workers.map((w) => new Promise((done) => {
      w.once('exit', done);
      w.kill('SIGTERM');
    })));
  }
} finally {
  redis.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}
