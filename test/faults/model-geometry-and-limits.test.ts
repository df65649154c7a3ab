import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CIFAR10_FILES } from '../../src/data/cifar10.js';
import { createModel } from '../../src/models/registry.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: `--model mlp --dataset cifar10` failed with a shape error deep in `linear` (the MLP was
 * sized for 28x28 one-channel images), and `--model-options '{"width":1e8}'` failed with
 * "Invalid typed array length". Now the data's shape reaches the model, and out-of-range model
 * options are errors naming the option.
 */
const scratch = scratchFolders('geometry');

/** A tiny CIFAR-10 folder in the official binary layout (label byte + 3072 pixel bytes). */
function tinyCifar(): string {
  const dir = scratch();
  const records = (n: number, seed: number): Uint8Array => {
    const out = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) {
      out[i * 3073] = i % 10;
      for (let p = 0; p < 3072; p++) out[i * 3073 + 1 + p] = (seed * 13 + i * 31 + p * 7) & 0xff;
    }
    return out;
  };
  mkdirSync(dir, { recursive: true });
  CIFAR10_FILES.train.forEach((file, b) => writeFileSync(join(dir, file), records(20, b)));
  writeFileSync(join(dir, 'test_batch.bin'), records(20, 9));
  return dir;
}

describe('fault: the data\'s shape does not reach the model; unbounded model options', { timeout: 300_000 }, () => {
  it('trains an MLP, a conv net, a transformer and a highway net on 3x32x32 CIFAR-10 images', async () => {
    const dataDir = tinyCifar();
    for (const model of ['mlp', 'simple_convnet', 'transformer_classifier', 'highway_fc']) {
      const config = parseTrainConfig({ model, modelOptions: model === 'transformer_classifier' ? { dim: 16, layers: 1, heads: 2 } : {}, dataset: 'cifar10', dataDir, epochs: 1, batchSize: 50, lr: 0.01 });
      const outcome = await runTraining(config);
      expect(outcome.epochs, model).toHaveLength(1);
      expect(Number.isFinite(outcome.epochs[0]!.trainLoss), model).toBe(true);
    }
  });

  it('refuses a model option that contradicts the data, naming it', async () => {
    const config = parseTrainConfig({ model: 'mlp', modelOptions: { imageSize: 28 }, dataset: 'cifar10', dataDir: tinyCifar(), epochs: 1 });
    await expect(runTraining(config)).rejects.toThrow(/modelOptions\.imageSize is 28 but the data's imageSize is 32 \(3x32x32 images, 10 classes\)/);
  });

  it('names a model option beyond its limit instead of failing to allocate', () => {
    expect(() => createModel('mlp', { width: 1e8 })).toThrow(/^createModel\('mlp'\): option 'width' = 100000000 must be at most 16384$/);
    const r = runCli(['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '1', '--train-subset', '100', '--model-options', '{"width":1e8}']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/createModel\('mlp'\): option 'width' = 100000000 must be at most 16384/);
    expect(() => createModel('transformer_classifier', { heads: 0, dropout: 1.5 })).toThrow(/option 'heads' = 0 must be at least 1; option 'dropout' = 1\.5 must be below 1/);
    expect(() => createModel('resnet_cifar', { depth: 2.5 })).toThrow(/option 'depth' = 2\.5 must be an integer/);
    expect(() => createModel('mlp', { width: 16_384, imageSize: 8192, inChannels: 3 })).toThrow(/createModel\('mlp'\): the model is too large to allocate with options/);
  });
});
