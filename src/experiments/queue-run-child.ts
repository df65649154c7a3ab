import { ConfigError, trainConfigSchema } from '../train/config.js';
import { RunDirectory, RunStoreError } from '../train/run-store.js';
import { runTraining } from '../train/run-training.js';
import { TrainingDivergedError } from '../train/trainer.js';
import { EXIT_DETERMINISTIC, EXIT_ORPHANED } from './queue-protocol.js';

/**
 * One queued run in its own process, forked by a queue worker (bullmq-worker.ts): train the
 * config in the run folder given as the argument, resuming from its checkpoint, and report
 * epochs over IPC. Training in a child keeps the worker's event loop free to renew the job's
 * lock while an epoch computes, and lets `--concurrency` use several cores.
 * Exit codes: 0 trained, 1 failed (worth another attempt), and the two in queue-protocol.ts.
 */

const path = process.argv[2];
if (!path) {
  process.stderr.write('skiplab: queue-run-child needs a run folder\n');
  process.exit(2);
}

// A worker killed with SIGKILL cannot take its child along; the job is then retried elsewhere,
// so this process stops at the next step instead of training the same run twice.
const parent = process.ppid;
let lastCheck = 0;
const stopWhenOrphaned = {
  onStep(): void {
    const now = Date.now();
    if (now - lastCheck < 250) return;
    lastCheck = now;
    try {
      process.kill(parent, 0);
    } catch {
      process.stderr.write(`skiplab: the queue worker (pid ${parent}) that owned ${path} is gone; stopping so the retry trains it alone\n`);
      process.exit(EXIT_ORPHANED);
    }
  },
};

const run = new RunDirectory(path);
try {
  const config = run.readConfig(trainConfigSchema);
  await runTraining(config, {
    run,
    callbacks: [
      stopWhenOrphaned,
      { onEpoch: (r) => void process.send?.({ kind: 'epoch', epoch: r.epoch + 1, epochs: config.epochs, message: `train error ${(r.trainError * 100).toFixed(2)} %` }) },
    ],
  });
  process.exit(0);
} catch (error) {
  process.stderr.write(`skiplab: ${(error as Error).message}\n`);
  const deterministic = error instanceof TrainingDivergedError || error instanceof ConfigError || error instanceof RunStoreError;
  process.exit(deterministic ? EXIT_DETERMINISTIC : 1);
}
