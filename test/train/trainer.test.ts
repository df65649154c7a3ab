import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { cosineLr, linearWarmup, multiStepLr } from '../../src/train/schedules.js';
import { Trainer, TrainingDivergedError } from '../../src/train/trainer.js';
import { Mlp } from '../../src/models/mlp.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, Tensor } from '../../src/tensor/tensor.js';
import type { Batch, BatchSource } from '../../src/train/batches.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Two Gaussian blobs per class in 8-D: learnable, cheap. */
function blobs(count: number, seed: number): BatchSource {
  const rng = new Rng(seed);
  const centres = randn([4, 8], { rng });
  const x = new Float32Array(count * 8);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 4;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = centres.f32[y[i]! * 8 + j]! * 2 + rng.normal() * 0.5;
  }
  let position = 0;
  const batch = 16;
  return {
    batchesPerEpoch: Math.ceil(count / batch),
    *[Symbol.iterator](): Iterator<Batch> {
      if (position >= count) position = 0;
      while (position < count) {
        const n = Math.min(batch, count - position);
        yield { x: new Tensor(x.slice(position * 8, (position + n) * 8), [n, 8]), y: intTensor(y.slice(position, position + n)) };
        position += n;
      }
    },
    getState: () => position,
    setState: (s: number) => void (position = s),
  };
}

describe('schedules', () => {
  it('multi-step divides at the milestones, cosine ends at the minimum, warm-up ramps', () => {
    const step = multiStepLr(0.1, [10, 20]);
    expect([step(0), step(9), step(10), step(25)].map((v) => +v.toPrecision(6))).toEqual([0.1, 0.1, 0.01, 0.001]);
    const cos = cosineLr(1, 100, 0.1);
    expect(cos(0)).toBeCloseTo(1);
    expect(cos(50)).toBeCloseTo(0.55);
    expect(cos(100)).toBeCloseTo(0.1);
    const warm = linearWarmup(() => 1, 10, 0.1);
    expect(warm(0)).toBeCloseTo(0.1);
    expect(warm(5)).toBeCloseTo(0.55);
    expect(warm(10)).toBe(1);
  });
});

describe('Trainer', () => {
  it('lowers the loss and the error on a learnable problem', async () => {
    const model = new Mlp({ inputSize: 8, hidden: [16], numClasses: 4, rng: new Rng(1) });
    const trainer = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), train: blobs(256, 2), test: blobs(128, 2), epochs: 5 });
    const result = await trainer.fit();
    expect(result.epochs).toHaveLength(5);
    expect(result.epochs[4]!.trainLoss).toBeLessThan(result.epochs[0]!.trainLoss * 0.5);
    expect(result.epochs[4]!.testError).toBeLessThan(0.1);
  });

  it('stops on a non-finite loss and names the step', async () => {
    const model = new Mlp({ inputSize: 8, hidden: [16], numClasses: 4, rng: new Rng(1) });
    const trainer = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 1e6 }), train: blobs(256, 2), epochs: 3 });
    const error = await trainer.fit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/loss is (NaN|Infinity|-Infinity) at epoch \d+, step \d+/);
  });
});

const timing = (r: Record<string, unknown>): Record<string, unknown> => {
  const { seconds: _s, imagesPerSecond: _i, ...rest } = r;
  return rest;
};

describe('run folders', () => {
  const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 32 }, dataset: 'mnist', trainSubset: 600, testSubset: 200, epochs: 3, batchSize: 50, lr: 0.05, logEverySteps: 4, seed: 3 });

  it('writes config, metrics, checkpoint and summary, and resumes to the same metrics as an uninterrupted run', async () => {
    const whole = new RunDirectory(join(scratch(), 'whole'));
    await runTraining(config, { run: whole });
    expect(whole.isComplete()).toBe(true);
    const reference = whole.readMetrics();
    expect(reference.filter((r) => r.kind === 'epoch')).toHaveLength(3);

    // Crash after the first epoch's checkpoint, then resume.
    const crashed = new RunDirectory(join(scratch(), 'crashed'));
    const crash = { onEpoch: (r: { epoch: number }) => { if (r.epoch === 0) throw new Error('simulated crash'); } };
    await expect(runTraining(config, { run: crashed, callbacks: [crash] })).rejects.toThrow('simulated crash');
    expect(crashed.readSummary()?.status).toBe('failed');
    const outcome = await runTraining(config, { run: crashed });
    expect(outcome.resumed).toBe(true);
    expect(crashed.readMetrics().map(timing)).toEqual(reference.map(timing));
  });

  it('rejects a run folder holding a different config', async () => {
    const dir = new RunDirectory(join(scratch(), 'r'));
    dir.initialize(config);
    expect(() => dir.initialize({ ...config, lr: 0.5 })).toThrow(/holds a different config/);
  });

  it('names the wrong field of a config by its path', () => {
    const bad = (): unknown => parseTrainConfig({ model: 'mlp', dataset: 'mnist', epochs: 2, lr: -1, modelOptions: { depth: [1] } });
    expect(bad).toThrow(/\blr: Too small/);
    expect(bad).toThrow(/modelOptions\.depth: /);
    expect(() => parseTrainConfig({ model: 'mlp', dataset: 'imagenet', epochs: 1 })).toThrow(/dataset: /);
    expect(() => parseTrainConfig({ model: 'mlp', dataset: 'mnist', epochs: 1, learningRate: 0.1 })).toThrow(/learningRate/);
  });
});
