/**
 * Example 5 — a sweep spec trained on a BullMQ queue by two workers.
 *
 *   redis-server --port 6379 --bind 127.0.0.1 --requirepass SECRET &     # any Redis the workers reach
 *   npx tsx 05-bullmq-sweep.ts --redis redis://:SECRET@127.0.0.1:6379 [--spec 05-sweep.yaml] [--store runs]
 *
 * Here both workers run on this machine; in real use you start `skiplab worker --redis URL` on
 * every machine that should train, and submit from anywhere. The example starts two workers,
 * submits the spec with `skiplab experiment SPEC --executor bullmq` (it returns when every run is
 * done and the report is written), prints each run's final training error and how many runs each
 * worker trained, and stops the workers with SIGTERM (they finish their current run first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    redis: { type: 'string' }, store: { type: 'string', default: 'runs' },
    spec: { type: 'string', default: fileURLToPath(new URL('05-sweep.yaml', import.meta.url)) },
  },
});
if (!values.redis) throw new Error('usage: 05-bullmq-sweep.ts --redis redis://[user:password@]host:port [--spec FILE] [--store DIR]');

// The installed package's command line, the one `npx skiplab` runs.
const packageJson = fileURLToPath(import.meta.resolve('skiplab/package.json'));
const cli = join(dirname(packageJson), (JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: { skiplab: string } }).bin.skiplab);
const skiplab = (args: string[]): ChildProcess => spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

/** A worker, and the jobs it reports done on its log (stderr), counted as they come. */
function startWorker(): Promise<{ process: ChildProcess; done: string[] }> {
  const child = skiplab(['worker', '--redis', values.redis!, '--threads', '1']);
  const done: string[] = [];
  return new Promise((ready, fail) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      for (const m of chunk.toString().matchAll(/^skiplab worker: (\S+): done$/gm)) done.push(m[1]!);
      if (/on skiplab-runs/.test(log)) ready({ process: child, done });
    });
    child.on('exit', (code) => fail(new Error(`worker exited with ${code} before it was ready:\n${log}`)));
  });
}

const workers = [await startWorker(), await startWorker()];
try {
  const submit = skiplab(['experiment', values.spec!, '--executor', 'bullmq', '--redis', values.redis, '--store', values.store!]);
  let output = '';
  submit.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  submit.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => submit.on('exit', done));
  if (code !== 0) throw new Error(`skiplab experiment exited with ${code}:\n${output}`);

  // The results the report was built from: results.json in the experiment's folder of the store.
  const name = /^name:\s*(\S+)/m.exec(readFileSync(values.spec!, 'utf8'))![1]!;
  const results = JSON.parse(readFileSync(resolve(values.store!, name, 'results.json'), 'utf8')) as { runs: { id: string; finalTrainError: number | null }[] };
  for (const run of results.runs) console.log(`${run.id.padEnd(30)} final training error ${run.finalTrainError === null ? '—' : `${(100 * run.finalTrainError).toFixed(1)} %`}`);
  workers.forEach((w, i) => console.log(`worker ${i + 1} trained ${w.done.length} run(s)`));
  console.log(output.trim().split('\n').at(-1)); // the report's path
} finally {
  for (const w of workers) w.process.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((done) => (w.process.exitCode === null ? w.process.on('exit', done) : done(null)))));
}
