/**
 * The `tfjs` section of `npm run bench` (issue 5 target: "the TypeScript backend ≥ 20×
 * TensorFlow.js-cpu on ResNet-20 training"). Both sides run the same training step —
 * forward, softmax cross-entropy, backward, SGD with momentum 0.9 — on random inputs of the
 * same shape and batch, single-threaded (TF.js's `cpu` backend is pure JavaScript, our
 * TypeScript backend is single-threaded by design).
 *
 * TF.js-cpu needs about a minute for one ResNet-20 step of 8 images, so that row uses batch 8
 * on both sides and one timed step (CPU-clock time varies little); a warm-up step on a single image first lets V8
 * compile TF.js's kernels without costing another minute. The TF.js ResNet-20 (bench/tfjs-models.ts)
 * uses 1×1 projection shortcuts at the two stage transitions where ours zero-pads (option A):
 * about 1 % more FLOPs on the TF.js side.
 */
import { setBackend } from '../src/backend/select.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { modelRunner, type Clock, type ModelRow } from './native-suites.js';
import type { TfjsCase } from './tfjs-models.js';

export interface TfjsComparison {
  id: string;
  label: string;
  batch: number;
  /** Our TypeScript backend, images/s. */
  ours: number;
  /** TF.js on its `cpu` backend, images/s. */
  tfjs: number;
  /** ours-TS / tfjs-cpu: above 1 means we are faster. */
  oursOverTfjs: number;
  /** Timed steps per side (after the warm-up). */
  steps: { ours: number; tfjs: number };
}

interface Case { id: string; which: TfjsCase; model: string; input: number[]; steps: { ours: number; tfjs: number } }

function cases(quick: boolean): Case[] {
  return [
    { id: 'tfjs-train-resnet20', which: 'resnet20', model: 'resnet20', input: [8, 3, 32, 32], steps: { ours: quick ? 3 : 5, tfjs: 1 } },
    { id: 'tfjs-train-mlp', which: 'mlp', model: 'mlp', input: [128, 1, 28, 28], steps: { ours: quick ? 10 : 20, tfjs: quick ? 5 : 10 } },
  ];
}

/** Seconds now on `clock` (single-threaded here: CPU time is not divided). */
function clockSeconds(clock: Clock): number {
  if (clock === 'wall') return performance.now() / 1000;
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Median (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timeSteps(step: () => void, steps: number, clock: Clock): number {
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = clockSeconds(clock);
    step();
    times.push(clockSeconds(clock) - start);
  }
  return median(times);
}

/**
 * Runs the section; returns null (after logging one line) when @tensorflow/tfjs cannot be
 * imported, so the rest of the bench goes on.
 */
export async function runTfjsSection(quick: boolean, clock: Clock, log: (line: string) => void): Promise<TfjsComparison[] | null> {
  let tfjs: typeof import('./tfjs-models.js');
  try {
    tfjs = await import('./tfjs-models.js');
  } catch (error) {
    log(`tfjs rows skipped: @tensorflow/tfjs does not import (${(error as Error).message.split('\n')[0]}); npm install --save-dev @tensorflow/tfjs@4.22.0`);
    return null;
  }
  const results: TfjsComparison[] = [];
  for (const c of cases(quick)) {
    const batch = c.input[0]!;
    const label = `${c.which === 'resnet20' ? 'ResNet-20' : 'MLP 784-256-256-10'} train step, batch ${batch} (both sides)`;
    // Ours: the same step as the model rows (bench/native-suites.ts), on the TypeScript backend.
    setBackend(typescriptBackend);
    const row: ModelRow = { kind: 'model', id: c.id, label, model: c.model, options: {}, input: c.input };
    const oursStep = modelRunner(row);
    oursStep();
    const oursSeconds = timeSteps(oursStep, c.steps.ours, clock);
    log(`  ${c.id} ours-TS: ${(batch / oursSeconds).toFixed(2)} images/s`);
    const trainer = await tfjs.tfjsTrainer(c.which);
    trainer.step(c.which === 'resnet20' ? 1 : batch);
    const tfjsSeconds = timeSteps(() => trainer.step(batch), c.steps.tfjs, clock);
    trainer.dispose();
    log(`  ${c.id} tfjs-cpu: ${(batch / tfjsSeconds).toFixed(3)} images/s`);
    results.push({ id: c.id, label, batch, ours: batch / oursSeconds, tfjs: batch / tfjsSeconds, oursOverTfjs: tfjsSeconds / oursSeconds, steps: c.steps });
  }
  return results;
}
