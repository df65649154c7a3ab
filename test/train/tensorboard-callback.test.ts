import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEventFile, type TensorBoardEvent } from '../../src/io/tensorboard.js';
import { Mlp } from '../../src/models/mlp.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, Tensor } from '../../src/tensor/tensor.js';
import type { Batch, BatchSource } from '../../src/train/batches.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { depthProfileHistogram, TensorBoardCallback, weightGradientNormsByDepth } from '../../src/train/tensorboard-callback.js';
import { Trainer } from '../../src/train/trainer.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** 64 random 8-D points in 4 classes, 4 batches of 16. */
function tinyData(seed: number): BatchSource {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: 64 * 8 }, () => rng.normal());
  const y = Int32Array.from({ length: 64 }, (_, i) => i % 4);
  return {
    batchesPerEpoch: 4,
    *[Symbol.iterator](): Iterator<Batch> {
      for (let b = 0; b < 4; b++) yield { x: new Tensor(x.slice(b * 128, (b + 1) * 128), [16, 8]), y: intTensor(y.slice(b * 16, (b + 1) * 16)) };
    },
    getState: () => 0,
    setState: () => undefined,
  };
}

const scalars = (events: TensorBoardEvent[], tag: string): [number, number][] =>
  events.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.tag === tag).map((v) => [e.step, v.simpleValue!] as [number, number]));

describe('TensorBoardCallback', () => {
  it('logs loss, error, lr and gradient norms by depth to RUN_DIR/tb', async () => {
    const root = mkdtempSync(join(tmpdir(), 'skiplab-tbcb-'));
    dirs.push(root);
    const run = new RunDirectory(join(root, 'run-a'));
    const model = new Mlp({ inputSize: 8, hidden: [6, 5], numClasses: 4, rng: new Rng(3) });
    const callback = new TensorBoardCallback({ gradientEverySteps: 2 });
    const trainer = new Trainer({
      model, optimizer: new SGD(model.parameters(), { lr: 0.05 }), train: tinyData(1), test: tinyData(2), epochs: 2, run, callbacks: [callback],
    });
    const result = await trainer.fit();
    callback.close();

    const files = readdirSync(join(run.path, 'tb'));
    expect(files).toHaveLength(1);
    const events = readEventFile(join(run.path, 'tb', files[0]!));
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(scalars(events, 'loss/train_step').map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(scalars(events, 'lr').every(([, v]) => Math.abs(v - 0.05) < 1e-8)).toBe(true);
    const epochLoss = scalars(events, 'loss/train');
    expect(epochLoss.map(([s]) => s)).toEqual([4, 8]);
    result.epochs.forEach((e, i) => {
      expect(epochLoss[i]![1]).toBeCloseTo(e.trainLoss, 5);
      expect(scalars(events, 'error/test')[i]![1]).toBeCloseTo(e.testError!, 6);
    });

    // Gradient norms every 2 steps: 3 weight matrices (fc1, fc2, classifier) in depth order.
    const profiles = events.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.tag === 'gradients/norm_by_depth').map((v) => [e.step, v.histo!] as const));
    expect(profiles.map(([s]) => s)).toEqual([2, 4, 6, 8]);
    const [, last] = profiles[profiles.length - 1]!;
    expect(last.bucketLimit).toEqual([1, 2, 3]);
    // The final step's gradients are still on the model: the logged profile is exactly theirs.
    const { names, norms } = weightGradientNormsByDepth(model);
    expect(names).toHaveLength(3);
    last.bucket.forEach((v, d) => expect(v).toBeCloseTo(norms[d]!, 5));
    expect(scalars(events, 'gradients/global_norm')).toHaveLength(4);
  });

  it('runTraining writes RUN_DIR/tb next to the metrics, one event file per run of a sweep', async () => {
    const root = mkdtempSync(join(tmpdir(), 'skiplab-tbrun-'));
    dirs.push(root);
    const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 200, testSubset: 100, epochs: 1, batchSize: 50, lr: 0.05, seed: 1 });
    for (const id of ['seed-1', 'seed-2']) await runTraining({ ...config, seed: id === 'seed-1' ? 1 : 2 }, { run: new RunDirectory(join(root, id)) });
    for (const id of ['seed-1', 'seed-2']) {
      const files = readdirSync(join(root, id, 'tb'));
      expect(files).toHaveLength(1);
      const events = readEventFile(join(root, id, 'tb', files[0]!));
      const epochError = scalars(events, 'error/test');
      expect(epochError).toHaveLength(1);
      const summary = JSON.parse(readFileSync(join(root, id, 'summary.json'), 'utf8')) as { final: { testError: number } };
      expect(epochError[0]![1]).toBeCloseTo(summary.final.testError, 6);
    }
  });

  it('needs a folder: a dir, or the trainer run folder', async () => {
    const model = new Mlp({ inputSize: 8, hidden: [4], numClasses: 4, rng: new Rng(3) });
    const trainer = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.05 }), train: tinyData(1), epochs: 1, callbacks: [new TensorBoardCallback()] });
    await expect(trainer.fit()).rejects.toThrow(/TensorBoardCallback: give a dir/);
  });

  it('depth profile keeps one bucket per layer', () => {
    const h = depthProfileHistogram([3, 1, 0.5]);
    expect(h).toMatchObject({ min: 0, max: 3, num: 3, sum: 4.5, bucketLimit: [1, 2, 3], bucket: [3, 1, 0.5] });
  });
});
