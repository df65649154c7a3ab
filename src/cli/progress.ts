import cliProgress from 'cli-progress';
import type { EpochReport, StepReport, TrainerCallback } from '../train/trainer.js';

/**
 * A progress bar per epoch on stderr (loss, running accuracy, images/s), so stdout stays clean
 * for `--json`. Without a terminal (CI, pipes) it prints one line per epoch instead.
 */
export function progressCallback(label: string, totalEpochs: number): TrainerCallback {
  const interactive = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let epochStart = performance.now();
  let imagesThisEpoch = 0;
  const start = (epoch: number, batchesPerEpoch: number): void => {
    epochStart = performance.now();
    imagesThisEpoch = 0;
    if (!interactive) return;
    bar = new cliProgress.SingleBar({
      format: `${label} epoch ${epoch + 1}/${totalEpochs} |{bar}| {value}/{total} loss {loss} acc {accuracy} {rate} img/s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    bar.start(batchesPerEpoch, 0, { loss: '-', accuracy: '-', rate: '-' });
  };
  let current = -1;
  return {
    onStep(report: StepReport): void {
      if (report.epoch !== current) {
        current = report.epoch;
        start(report.epoch, report.batchesPerEpoch);
      }
      imagesThisEpoch += report.batchSize;
      const rate = imagesThisEpoch / Math.max(1e-9, (performance.now() - epochStart) / 1000);
      bar?.increment(1, { loss: report.loss.toFixed(4), accuracy: (1 - report.runningError).toFixed(4), rate: rate.toFixed(0) });
    },
    onEpoch(report: EpochReport): void {
      bar?.stop();
      bar = null;
      const test = report.testError !== undefined ? ` test loss ${report.testLoss!.toFixed(4)} test acc ${(1 - report.testError).toFixed(4)}` : '';
      process.stderr.write(`${label} epoch ${report.epoch + 1}/${totalEpochs}: train loss ${report.trainLoss.toFixed(4)} train acc ${(1 - report.trainError).toFixed(4)}${test} (${report.imagesPerSecond.toFixed(0)} img/s)\n`);
    },
  };
}
