import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Executor, SweepEvent, SweepResult } from './executor.js';
import type { PlannedRun } from './spec.js';
import type { ExperimentStore } from './store.js';

export type { Executor, SweepEvent, SweepResult } from './executor.js';

export interface LocalExecutorOptions {
  /** Runs trained at once, each in its own process (default: cores ÷ threads). */
  workers?: number;
  /** Kernel threads per run (SKIPLAB_THREADS in each worker; default 1 when several workers). */
  threads?: number;
  onEvent?: (event: SweepEvent) => void;
}

/** The worker entry next to this file: .ts under tsx/vitest, .js when built. */
function workerEntry(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return { path: self.replace(/local-executor\.ts$/, 'run-worker.ts'), execArgv: ['--import', 'tsx'] };
  return { path: self.replace(/local-executor\.js$/, 'run-worker.js'), execArgv: [] };
}

function runOne(store: ExperimentStore, run: PlannedRun, threads: number, onEvent: (e: SweepEvent) => void): Promise<string | null> {
  const entry = workerEntry();
  return new Promise((resolve) => {
    const child = fork(entry.path, [store.runDirectory(run).path], {
      execArgv: entry.execArgv,
      env: { ...process.env, SKIPLAB_THREADS: String(threads) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('message', (m: SweepEvent) => onEvent({ ...m, run: run.id }));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(null);
      else {
        const lastLine = stderr.trim().split('\n').filter((l) => l.startsWith('skiplab:')).pop() ?? stderr.trim().split('\n').pop() ?? '';
        resolve(`exit ${code ?? signal}: ${lastLine}`);
      }
    });
  });
}

/**
 * Train every unfinished run of an experiment with a pool of worker processes. Finished runs are
 * skipped; interrupted ones resume from their checkpoints, so the same call completes a sweep
 * after a crash.
 */
export async function runLocalSweep(store: ExperimentStore, options: LocalExecutorOptions = {}): Promise<SweepResult> {
  const runs = store.prepare();
  const onEvent = options.onEvent ?? (() => {});
  const cores = availableParallelism();
  const workers = Math.max(1, options.workers ?? Math.min(cores, runs.length));
  const threads = options.threads ?? Math.max(1, Math.floor(cores / workers));
  const result: SweepResult = { completed: [], skipped: [], failed: [] };
  const queue = runs.filter((r) => {
    if (store.runDirectory(r).isComplete()) {
      result.skipped.push(r.id);
      onEvent({ kind: 'skipped', run: r.id });
      return false;
    }
    return true;
  });
  const next = async (): Promise<void> => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      onEvent({ kind: 'start', run: run.id });
      const error = await runOne(store, run, threads, onEvent);
      if (error) {
        result.failed.push({ run: run.id, error });
        onEvent({ kind: 'failed', run: run.id, message: error });
      } else {
        result.completed.push(run.id);
        onEvent({ kind: 'done', run: run.id });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, next));
  return result;
}

/** The local pool behind the common executor interface. */
export function localExecutor(options: Omit<LocalExecutorOptions, 'onEvent'> = {}): Executor {
  return { name: 'local', sweep: (store, onEvent) => runLocalSweep(store, { ...options, onEvent }) };
}
