import { join } from 'node:path';
import { openSession, pollJobs, summarise, type QueueStatus } from './bullmq-executor.js';
import { jobIdOf, type Job } from './jobs.js';
import type { ExperimentStore } from './store.js';

/**
 * One look at a training experiment's jobs on the queue (for `skiplab status`): finished results
 * land in the store, failures are recorded in their run's summary.
 */
export async function queueStatus(store: ExperimentStore, options: { redis: string; insecure?: boolean; log?: (line: string) => void }): Promise<QueueStatus> {
  const root = join(store.path, '..');
  const runs = store.prepare();
  const jobs: Job[] = runs.map((r) => ({ kind: 'train', data: { experiment: store.spec.name, run: r.id, config: r.config } }));
  const session = await openSession(root, options.redis, options.log ?? (() => {}), options.insecure);
  try {
    // Results already in the store are not rewritten.
    const collected = new Set(jobs.filter((_, i) => store.runDirectory(runs[i]!).isComplete()).map(jobIdOf));
    const statuses = await pollJobs(session, jobs, collected);
    statuses.forEach((s, i) => {
      if (s.state !== 'failed') return;
      const run = store.runDirectory(runs[i]!);
      run.initialize(runs[i]!.config);
      let previous = null;
      try {
        previous = run.readSummary();
      } catch {
        // an unreadable summary is replaced by the failure record
      }
      run.writeSummary({ epochs: 0, steps: 0, seconds: 0, ...(previous ?? {}), status: 'failed', error: s.error! });
    });
    return summarise(session, store.spec.name, statuses);
  } finally {
    await session.close();
  }
}
