import { trainConfigSchema } from '../train/config.js';
import { RunDirectory } from '../train/run-store.js';
import { runTraining } from '../train/run-training.js';

/**
 * One run in a worker process: train the config in the run folder given as the argument
 * (resuming from its checkpoint), reporting epochs to the parent over IPC.
 */
const path = process.argv[2];
if (!path) {
  process.stderr.write('skiplab: run-worker needs a run folder\n');
  process.exit(2);
}
const run = new RunDirectory(path);
try {
  const config = run.readConfig(trainConfigSchema);
  await runTraining(config, {
    run,
    callbacks: [{ onEpoch: (r) => void process.send?.({ kind: 'epoch', epoch: r.epoch + 1, epochs: config.epochs, message: `train error ${(r.trainError * 100).toFixed(2)} %` }) }],
  });
  process.exit(0);
} catch (error) {
  process.stderr.write(`skiplab: ${(error as Error).message}\n`);
  process.exit(1);
}
