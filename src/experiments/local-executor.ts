import { availableParallelism } from 'node:os';
import { JobProcess } from './child-jobs.js';
import { localWeightsPath, pendingJobs, type Executor } from './executor.js';
import { jobIdOf, type Job, type JobEvent, type JobsResult } from './jobs.js';

export interface LocalExecutorOptions {
  /** Jobs run at once, each in its own process (default: one per core, at most one per job). */
  workers?: number;
  /** Kernel threads per job (SKIPLAB_THREADS in each process; default: cores ÷ workers). */
  threads?: number;
}

/**
 * The local executor: a pool of worker processes on this machine, each running jobs one after
 * another (a failed job's process is replaced). Finished jobs are skipped and
 * interrupted training runs resume from their checkpoints, so the same call completes an
 * experiment after a crash.
 */
export function localExecutor(options: LocalExecutorOptions = {}): Executor {
  return {
    name: 'local',
    async run(root: string, jobs: readonly Job[], onEvent: (event: JobEvent) => void = () => {}): Promise<JobsResult> {
      const result: JobsResult = { completed: [], skipped: [], failed: [] };
      const queue = pendingJobs(root, jobs, result, onEvent);
      const cores = availableParallelism();
      const workers = Math.max(1, Math.min(options.workers ?? cores, Math.max(1, queue.length)));
      const threads = options.threads ?? Math.max(1, Math.floor(cores / workers));
      const next = async (): Promise<void> => {
        let child: JobProcess | null = null;
        for (let job = queue.shift(); job; job = queue.shift()) {
          if (!child?.alive) child = new JobProcess(threads);
          const id = jobIdOf(job);
          onEvent({ kind: 'start', job: id });
          const weights = job.kind === 'measure'
            ? Object.fromEntries(Object.entries(job.data.sources).map(([name, s]) => [name, localWeightsPath(root, s.weights)]))
            : undefined;
          const { code, signal, reason } = await child.run({ job, root, worker: 'local', attempts: 1, weights }, {
            onEpoch: (epoch, epochs, message) => onEvent({ kind: 'epoch', job: id, epoch, epochs, message }),
          });
          if (code === 0) {
            result.completed.push(id);
            onEvent({ kind: 'done', job: id });
          } else {
            const error = `exit ${code ?? signal}: ${reason}`;
            result.failed.push({ job: id, error });
            onEvent({ kind: 'failed', job: id, message: error });
          }
        }
        child?.close();
      };
      await Promise.all(Array.from({ length: workers }, next));
      return result;
    },
  };
}
