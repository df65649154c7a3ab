import type { Command } from 'commander';
import { UserInputError } from '../../util/errors.js';

interface WorkerFlags {
  redis: string;
  insecure?: boolean;
  concurrency: string;
  threads: string;
  store?: string;
  lockDuration: string;
  stalledInterval: string;
}

const positive = (flag: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserInputError(`${flag}: expected a positive integer, got '${value}'`);
  return n;
};

/**
 * `skiplab worker --redis URL`: train runs from the queue until stopped. The first SIGTERM/SIGINT
 * lets the current runs finish (their results still reach the coordinator) and then exits; a
 * second one stops at once, and the runs are retried elsewhere from their last checkpoint.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('train experiment runs taken from a BullMQ queue on Redis (see `experiment --executor bullmq`)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379, redis://user:password@host:6379, rediss://… for TLS')
    .option('--insecure', 'allow a Redis on another machine without a password (anyone who reaches it can queue jobs for this worker)')
    .option('--concurrency <n>', 'runs trained at once, each in its own process', '1')
    .option('--threads <n>', 'kernel threads per run', '1')
    .option('--store <dir>', 'run store shared with the coordinator (retries resume from its checkpoints); default: a private folder')
    .option('--lock-duration <ms>', 'a run whose worker is silent this long is handed to another worker', '30000')
    .option('--stalled-interval <ms>', 'how often to look for such stalled runs', '30000')
    .action(async (flags: WorkerFlags) => {
      const log = (line: string): void => void process.stderr.write(`skiplab worker: ${line}\n`);
      // The worker must outlive any single bad job or library hiccup.
      process.on('unhandledRejection', (reason) => log(`unhandled: ${(reason as Error)?.message ?? String(reason)}`));
      const { startQueueWorker } = await import('../../experiments/bullmq-worker.js');
      const worker = await startQueueWorker({
        redis: flags.redis, insecure: flags.insecure, store: flags.store, log,
        concurrency: positive('--concurrency', flags.concurrency), threads: positive('--threads', flags.threads),
        lockDuration: positive('--lock-duration', flags.lockDuration), stalledInterval: positive('--stalled-interval', flags.stalledInterval),
      });
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          // At once: closing the queue connection could wait on a Redis that is gone.
          log(`${signal} again: stopping now; unfinished runs will be retried`);
          worker.abandon();
          process.exit(1);
        }
        stopping = true;
        log(`${signal}: finishing the current run(s), then exiting (send it again to stop now)`);
        void worker.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await new Promise(() => {}); // runs until a signal
    });
}
