/**
 * The `tta` section of `npm run bench`: wall time from nothing to a trained ResNet-20 at 92 % test
 * accuracy on Fashion-MNIST, ours and PyTorch (bench/torch_tta.py) with the same recipe, the same
 * official files and the same thread count, one after the other in the same run. It is the number
 * a user compares: data loading, every training step and each epoch's evaluation on the full
 * official test set are inside the clock.
 *
 * The recipe (fixed; the same on both sides): the official idx files (60,000 training and 10,000
 * test images), normalised by the training set's mean and std; no augmentation; ResNet-20 for
 * one input channel (He et al. 2016 §4.2, option A shortcuts); SGD with momentum 0.9, weight decay
 * 5e-4, batch 128, learning rate 0.1 warmed up linearly over the first 100 steps then cosine to 0
 * over `epochs` epochs; the test set is evaluated after every epoch, and the clock stops at the
 * first evaluation at or above the target. Both sides shuffle with their own seeded generator, so
 * the runs differ in data order and initial weights as two seeds would.
 *
 *   npm run bench -- --only tta [--tta-threads 2] [--tta-epochs 6] [--tta-target 0.92] [--precision bf16]
 *
 * Not in the default sections: it trains for minutes on each side.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/autograd/index.js';
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { withPrecision } from '../src/autograd/precision.js';
import { configureNative } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/select.js';
import type { Backend, Precision } from '../src/backend/backend.js';
import { ImageDataset } from '../src/data/dataset.js';
import { parseIdx } from '../src/data/idx.js';
import { DataLoader } from '../src/data/loader.js';
import { createModel } from '../src/models/registry.js';
import { SGD } from '../src/optim/sgd.js';
import { recycleTensors } from '../src/tensor/recycling-scope.js';
import { Rng } from '../src/tensor/rng.js';
import { evaluateClassifier } from '../src/train/evaluate.js';
import { printColumns } from './table.js';
import { torchThreadsEnv } from './torch-env.js';

/** Debian's dataset-fashion-mnist package puts the official files here. */
export const FASHION_MNIST_IDX_DIR = '/usr/share/datasets/fashion-mnist';

export interface TimeToAccuracyRecipe {
  dataDir: string;
  threads: number;
  epochs: number;
  target: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  precision: Precision;
}

export interface TimeToAccuracyRun {
  side: 'ours' | 'torch';
  /** Seconds from the start to the first evaluation at or above the target (null: never reached). */
  secondsToTarget: number | null;
  epochsToTarget: number | null;
  /** Test accuracy after each epoch, and the wall clock then. */
  accuracies: number[];
  seconds: number[];
  dataSeconds: number;
}

export function defaultRecipe(overrides: Partial<TimeToAccuracyRecipe> = {}): TimeToAccuracyRecipe {
  return {
    dataDir: FASHION_MNIST_IDX_DIR, threads: 2, epochs: 6, target: 0.92, batch: 128, lr: 0.1, warmupSteps: 100,
    momentum: 0.9, weightDecay: 5e-4, seed: 0, precision: 'fp32', ...overrides,
  };
}

/** The learning rate of step `step` of `total`: linear warm-up, then cosine to 0. */
export function learningRate(r: TimeToAccuracyRecipe, step: number, total: number): number {
  if (step < r.warmupSteps) return (r.lr * (step + 1)) / r.warmupSteps;
  return 0.5 * r.lr * (1 + Math.cos((Math.PI * (step - r.warmupSteps)) / Math.max(1, total - r.warmupSteps)));
}

function readSplit(dir: string, prefix: 'train' | 't10k'): ImageDataset {
  const images = parseIdx(readFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`)), `${prefix}-images`);
  const labels = parseIdx(readFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`)), `${prefix}-labels`);
  const [count, height, width] = images.shape as [number, number, number];
  return new ImageDataset({ images: images.data, labels: labels.data, count, channels: 1, height, width, numClasses: 10 });
}

/** Our side: the data layer, the registry's ResNet-20, SGD, recycled steps, evaluation each epoch. */
export function runOurs(r: TimeToAccuracyRecipe, backend: Backend, log: (line: string) => void): TimeToAccuracyRun {
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  setBackend(backend);
  if (backend.name === 'native') configureNative({ threads: r.threads });
  const train = readSplit(r.dataDir, 'train'), test = readSplit(r.dataDir, 't10k');
  const normalize = train.channelStats();
  const rng = new Rng(r.seed);
  const trainLoader = new DataLoader(train, { batchSize: r.batch, shuffle: true, rng, normalize, reuseBuffers: true });
  const testLoader = new DataLoader(test, { batchSize: 1000, normalize });
  const dataSeconds = elapsed();
  const model = createModel('resnet20', { rng, inChannels: 1 });
  const optimizer = new SGD(model.parameters(), { lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay });
  const total = r.epochs * Math.ceil(train.count / r.batch);
  const run: TimeToAccuracyRun = { side: 'ours', secondsToTarget: null, epochsToTarget: null, accuracies: [], seconds: [], dataSeconds };
  let step = 0;
  for (let epoch = 1; epoch <= r.epochs; epoch++) {
    model.train();
    for (const batch of trainLoader) {
      optimizer.lr = learningRate(r, step++, total);
      withPrecision(r.precision, () => recycleTensors(() => {
        const loss = crossEntropy(model.forward(batch.x), batch.y);
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
      }));
    }
    const accuracy = withPrecision(r.precision, () => evaluateClassifier(model, testLoader)).accuracy;
    run.accuracies.push(accuracy);
    run.seconds.push(elapsed());
    log(`  ours epoch ${epoch}: test accuracy ${(100 * accuracy).toFixed(2)} % at ${elapsed().toFixed(0)} s`);
    if (accuracy >= r.target) {
      run.secondsToTarget = elapsed();
      run.epochsToTarget = epoch;
      break;
    }
  }
  return run;
}

/** PyTorch's side, bench/torch_tta.py in a fresh process (its own clock starts before it reads the data). */
export function runTorch(python: string, r: TimeToAccuracyRecipe): TimeToAccuracyRun {
  const script = fileURLToPath(new URL('./torch_tta.py', import.meta.url));
  const output = execFileSync(python, [script, JSON.stringify(r)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'], env: torchThreadsEnv(r.threads) });
  return { side: 'torch', ...(JSON.parse(output.trim().split('\n').pop()!) as Omit<TimeToAccuracyRun, 'side'>) };
}

export function timeToAccuracyAvailable(dir: string): boolean {
  return ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].every((f) => existsSync(join(dir, f)));
}

/** Ours, then PyTorch's, with one recipe; nothing when the official files are absent. */
export function runTimeToAccuracySection(
  overrides: Partial<TimeToAccuracyRecipe>, backend: Backend, python: string | null, log: (line: string) => void,
): TimeToAccuracySection | null {
  const recipe = defaultRecipe(overrides);
  if (!timeToAccuracyAvailable(recipe.dataDir)) {
    log(`time to accuracy: the official Fashion-MNIST idx files are not in ${recipe.dataDir} (apt-get install dataset-fashion-mnist)`);
    return null;
  }
  log(`time to ${(100 * recipe.target).toFixed(0)} % on Fashion-MNIST, ResNet-20, ${recipe.threads} thread(s), ${recipe.precision}…`);
  const runs = [runOurs(recipe, backend, log)];
  if (python) runs.push(runTorch(python, recipe));
  return { recipe, runs };
}

export interface TimeToAccuracySection {
  recipe: TimeToAccuracyRecipe;
  runs: TimeToAccuracyRun[];
}

export function printTimeToAccuracyTable({ recipe: r, runs }: TimeToAccuracySection): void {
  const fmt = (s: number | null) => (s === null ? 'not reached' : `${s.toFixed(0)} s`);
  console.log('');
  printColumns(['tta', 'side', 'time to target', 'epochs', 'data s', 'test accuracy by epoch'], runs.map((run) => [
    'tta', run.side === 'ours' ? 'ours (native)' : 'PyTorch', fmt(run.secondsToTarget), String(run.epochsToTarget ?? '–'),
    run.dataSeconds.toFixed(1), run.accuracies.map((a) => (100 * a).toFixed(2)).join(' '),
  ]), 2);
  const [ours, torch] = runs;
  const ratio = ours?.secondsToTarget && torch?.secondsToTarget ? `; PyTorch/ours ${(torch.secondsToTarget / ours.secondsToTarget).toFixed(2)} (> 1: we are faster)` : '';
  console.log(`ResNet-20 on the official Fashion-MNIST files to ${(100 * r.target).toFixed(0)} % test accuracy: SGD 0.9, wd ${r.weightDecay}, batch ${r.batch}, lr ${r.lr} (warm-up ${r.warmupSteps} steps, cosine over ${r.epochs} epochs), ${r.threads} thread(s), ${r.precision}; wall clock from reading the files to the first evaluation at the target${ratio}`);
}
