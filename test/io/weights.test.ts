import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { loadWeights, modelWithWeights, readStateDict, WeightsError } from '../../src/io/weights.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

const dir = mkdtempSync(join(tmpdir(), 'skiplab-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = { depth: 8, baseWidth: 2, inChannels: 1 } as const;
const source = () => createModel('resnet_cifar', { ...options, rng: new Rng(1) });
const prefixed = (prefix: string, state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, v]) => [`${prefix}${k}`, v]));

describe('reading weights trained elsewhere', () => {
  it('loads a state dict by name, a skiplab checkpoint, a run folder and a DataParallel state dict alike', async () => {
    const trained = source();
    const state = trained.stateDict();
    const optimizer = { 'optimizer.momentum.0': new Tensor(new Float32Array(3), [3]) };
    const files = {
      stateDict: join(dir, 'state.safetensors'),
      checkpoint: join(dir, 'checkpoint-file.safetensors'),
      dataParallel: join(dir, 'data-parallel.safetensors'),
    };
    await saveSafetensors(files.stateDict, state, { format: 'pt' });
    await saveSafetensors(files.checkpoint, { ...prefixed('model.', state), ...optimizer });
    await saveSafetensors(files.dataParallel, prefixed('module.', state));
    const run = join(dir, 'run');
    mkdirSync(run);
    await saveSafetensors(join(run, 'checkpoint.safetensors'), { ...prefixed('model.', state), ...optimizer });
    const expected = modelState(trained).values;
    const cases = [
      [files.stateDict, 'state-dict', ''],
      [files.checkpoint, 'skiplab-checkpoint', 'model.'],
      [run, 'skiplab-checkpoint', 'model.'],
      [files.dataParallel, 'state-dict', 'module.'],
    ] as const;
    for (const [path, format, prefix] of cases) {
      const { model, source: from } = await modelWithWeights('resnet_cifar', path, { ...options, rng: new Rng(99) });
      expect(modelState(model).values, path).toEqual(expected);
      expect(from).toMatchObject({ format, strippedPrefix: prefix, tensors: Object.keys(state).length });
      expect(from.file).toBe(path === run ? join(run, 'checkpoint.safetensors') : path);
    }
  });

  it('starts a missing num_batches_tracked at 0, as PyTorch does for old state dicts', async () => {
    const state = source().stateDict();
    const path = join(dir, 'old.safetensors');
    await saveSafetensors(path, Object.fromEntries(Object.entries(state).filter(([k]) => !k.endsWith('num_batches_tracked'))));
    const model = createModel('resnet_cifar', { ...options, rng: new Rng(2) });
    model.stateDict()['bn1.num_batches_tracked']!.data[0] = 7;
    await loadWeights(model, path);
    expect(model.stateDict()['bn1.num_batches_tracked']!.data[0]).toBe(0);
    expect(Array.from(model.stateDict()['layer1.0.conv1.weight']!.data)).toEqual(Array.from(state['layer1.0.conv1.weight']!.data));
  });

  it('refuses weights of another architecture, naming the keys, and changes nothing', async () => {
    const path = join(dir, 'plain.safetensors');
    await saveSafetensors(path, createModel('resnet_cifar', { ...options, skip: 'none', rng: new Rng(3) }).stateDict());
    const model = createModel('resnet_cifar', { ...options, skip: 'projection', rng: new Rng(4) });
    const before = modelState(model);
    await expect(loadWeights(model, path)).rejects.toThrow(WeightsError);
    await expect(loadWeights(model, path)).rejects.toThrow(/plain\.safetensors: missing keys: layer2\.0\.downsample\.0\.weight/);
    expect(modelState(model)).toEqual(before);
  });

  it('names the path when there is nothing to read', async () => {
    await expect(readStateDict(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: no such file or folder/);
    const empty = join(dir, 'empty-run');
    mkdirSync(empty);
    await expect(readStateDict(empty)).rejects.toThrow(/empty-run: a folder without checkpoint\.safetensors/);
  });
});
