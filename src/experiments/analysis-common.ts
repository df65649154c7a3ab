import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from '../data/loader.js';
import { loadImageDataset } from '../data/registry.js';
import type { ImageDataset } from '../data/dataset.js';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { loadSafetensorsSync, saveSafetensorsSync } from '../io/safetensors.js';
import type { SkipModel } from '../models/skip-model.js';
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';
import { balancedSubset } from '../train/datasets.js';
import { cosineLr } from '../train/schedules.js';
import { Trainer, type EpochReport, type StepReport } from '../train/trainer.js';
import { parseExperimentSpec } from './spec.js';

/** Quick: minutes on 2 cores (tiny subsets, narrow nets). Full: paper-like sizes. */
export type AnalysisMode = 'quick' | 'full';

export interface AnalysisContext {
  mode: AnalysisMode;
  /** Run-store root; each experiment writes `<root>/<name>-<mode>/results.json`. */
  root: string;
  dataset: 'fashion-mnist' | 'mnist' | 'cifar10';
  dataDir?: string;
  seed: number;
  progress: (message: string) => void;
}

export interface ImageData {
  train: ImageDataset;
  test: ImageDataset;
  stats: { mean: number[]; std: number[] };
}

/** A seeded balanced training subset and the first `testCount` test images, with the full set's statistics. */
export function imageData(context: AnalysisContext, trainCount: number, testCount: number): ImageData {
  const options = { dataDir: context.dataDir };
  const full = loadImageDataset(context.dataset, 'train', options);
  const test = loadImageDataset(context.dataset, 'test', options);
  return { train: balancedSubset(full, trainCount, context.seed), test: test.take(testCount), stats: full.channelStats() };
}

/** Every batch of a dataset in order, normalised, materialised once (for evaluation and probes). */
export function fixedBatches(dataset: ImageDataset, stats: ImageData['stats'] | null, batchSize: number): Batch[] {
  const loader = new DataLoader(dataset, { batchSize, normalize: stats });
  return [...loader].map((b) => ({ x: b.x, y: b.y }));
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  clipGradNorm?: number;
  loss?: (output: Tensor, batch: Batch) => Tensor;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (report: StepReport) => void;
  seed: number;
}

/**
 * The one recipe every analysis experiment trains with (so twins differ only in their skips):
 * SGD with momentum 0.9, weight decay 5e-4, cosine learning rate, seeded shuffling.
 */
export async function trainModel(model: Module, data: { train: ImageDataset; stats: ImageData['stats'] | null; test?: ImageDataset }, options: TrainOptions): Promise<EpochReport[]> {
  const rng = new Rng(options.seed);
  const train = new DataLoader(data.train, { batchSize: options.batchSize ?? 64, shuffle: true, rng: rng.fork(), normalize: data.stats });
  const test = data.test ? new DataLoader(data.test, { batchSize: 250, normalize: data.stats }) : null;
  const lr = options.lr ?? 0.05;
  const optimizer = new SGD(model.parameters(), { lr, momentum: 0.9, weightDecay: options.weightDecay ?? 5e-4 });
  const trainer = new Trainer({
    model, optimizer, train, test, epochs: options.epochs, schedule: cosineLr(lr, options.epochs * train.batchesPerEpoch), rng: rng.fork(),
    loss: options.loss, clipGradNorm: options.clipGradNorm,
    callbacks: [{ onEpoch: (r) => options.onEpoch?.(r), onStep: (r) => options.onStep?.(r) }],
  });
  return (await trainer.fit()).epochs;
}

/** Copy of every parameter and buffer (to compare or restore later). */
export function stateCopy(model: Module): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone()]));
}

export interface TrainedModel<M extends SkipModel> {
  model: M;
  initial: Record<string, Tensor>;
  history: EpochReport[];
  cached: boolean;
}

/**
 * Train a model once per store and reuse it: the trained weights, the initial weights and the
 * epoch history go to `<root>/trained/<key>/` (safetensors + JSON, written atomically), so
 * `experiment all` trains the shared twins once for lesion, landscape and representations.
 */
export async function trainedModel<M extends SkipModel>(context: AnalysisContext, key: string, build: () => M, train: (model: M) => Promise<EpochReport[]>): Promise<TrainedModel<M>> {
  const dir = join(context.root, 'trained', `${key}-${context.mode}-${context.dataset}-seed${context.seed}`);
  const model = build();
  const files = ['initial.safetensors', 'final.safetensors', 'history.json'].map((f) => join(dir, f));
  if (files.every((f) => existsSync(f))) {
    const initial = loadSafetensorsSync(files[0]!);
    model.loadStateDict(loadSafetensorsSync(files[1]!), { source: files[1] });
    context.progress(`${key}: reusing the trained model in ${dir}`);
    return { model, initial, history: JSON.parse(readFileSync(files[2]!, 'utf8')) as EpochReport[], cached: true };
  }
  const initial = stateCopy(model);
  context.progress(`${key}: training (${model.parameterCount()} parameters)`);
  const history = await train(model);
  mkdirSync(dir, { recursive: true });
  saveSafetensorsSync(files[0]!, initial);
  saveSafetensorsSync(files[1]!, model.stateDict());
  writeFileAtomicSync(files[2]!, new TextEncoder().encode(JSON.stringify(history)));
  return { model, initial, history, cached: false };
}

/** Folder of one analysis experiment in the store. */
export function experimentFolder(context: AnalysisContext, name: string): string {
  return join(context.root, `${name}-${context.mode}`);
}

/**
 * Write `experiment.json` (a spec of kind `name`, so the report builder knows what to render) and
 * `results.json`, both atomically. `base` is the main training config, for the record.
 */
export function writeResults(context: AnalysisContext, name: string, description: string, base: { model: string; epochs: number } & Record<string, unknown>, results: object): string {
  const dir = experimentFolder(context, name);
  mkdirSync(dir, { recursive: true });
  const spec = parseExperimentSpec({ name: `${name}-${context.mode}`, kind: name, description, base: { dataset: context.dataset, ...base }, seeds: [context.seed] }, `${name} spec`);
  const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n');
  writeFileAtomicSync(join(dir, 'experiment.json'), encode(spec));
  writeFileAtomicSync(join(dir, 'results.json'), encode({ experiment: name, mode: context.mode, dataset: context.dataset, seed: context.seed, writtenAt: new Date().toISOString(), ...results }));
  return dir;
}

/** Seconds since `start` (performance.now()), rounded to 0.1 s. */
export const secondsSince = (start: number): number => Math.round((performance.now() - start) / 100) / 10;

export const pick = <T>(mode: AnalysisMode, quick: T, full: T): T => (mode === 'quick' ? quick : full);
