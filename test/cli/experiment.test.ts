import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { classificationError, withLesions } from '../../src/analysis/lesion.js';
import { setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';
import { fixedBatches } from '../../src/experiments/analysis/common.js';
import { lesionResultsSchema } from '../../src/experiments/results/lesion.js';
import { sha256Hex } from '../../src/experiments/weights-file.js';
import { modelWithWeights } from '../../src/io/weights.js';
import { trainConfigSchema } from '../../src/train/config.js';
import { loadRunData } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-experiment-cli-'));
  dirs.push(d);
  return d;
};
// With --weights, the CLI's jobs and this file's checks compute on the reference backend, so they agree exactly.
const env = { SKIPLAB_BACKEND: 'ts' };

describe('skiplab experiment lesion --seeds 0,1,2', () => {
  it('trains and measures each seed through the executor, reports all three, and the report refuses a results.json edited to the wrong type', () => {
    const store = scratch();
    const r = runCli(['experiment', 'lesion', '--seeds', '0,1,2', '--epochs', '1', '--train-subset', '64', '--store', store]);
    expect(r.status, r.stderr).toBe(0);
    const dir = join(store, 'lesion-quick');
    expect(r.stdout.trim()).toBe(join(dir, 'report.html'));
    const results = lesionResultsSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    expect(results.version).toBe(1);
    expect(results.seeds.map((s) => s.seed)).toEqual([0, 1, 2]);
    for (const seed of results.seeds) expect(seed.models.map((m) => m.family)).toEqual(['residual', 'plain']);
    // Only the shape-keeping blocks are deleted, alone or at random: ResNet-20's two downsampling blocks never are (Veit et al. 2016 §4).
    const shapeKeeping = ['layer1.0', 'layer1.1', 'layer1.2', 'layer2.1', 'layer2.2', 'layer3.1', 'layer3.2'];
    for (const model of results.seeds.flatMap((s) => s.models)) {
      expect(model.single.map((l) => l.block)).toEqual(shapeKeeping);
      expect(model.candidates).toEqual(shapeKeeping);
      expect(model.excluded).toEqual(['layer2.0', 'layer3.0']);
      expect(model.random.map((k) => k.deleted)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    }
    // Each seed trained its own twins: different weights, so different baselines.
    expect(new Set(results.sources.map((s) => s.sha256)).size).toBe(6);
    expect(new Set(results.seeds.map((s) => s.models[0]!.baseline)).size).toBeGreaterThan(1);
    // Every training run and measurement shard went through the executor into the store.
    const twins = readdirSync(store).find((d) => d.startsWith('resnet20-w8-twins-quick'))!;
    expect(readdirSync(join(store, twins)).filter((d) => d.startsWith('skip-')).sort()).toEqual(['skip-identity_seed-0', 'skip-identity_seed-1', 'skip-identity_seed-2', 'skip-none_seed-0', 'skip-none_seed-1', 'skip-none_seed-2']);
    expect(readdirSync(join(dir, 'shards', 'lesion-random'))).toHaveLength(3 * 2 * 2);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // One verdict over the three seeds (lesion's claims), then each seed's figures under its own heading.
    expect(html).toMatch(/(Supported|Contradicted|Inconclusive at this budget) \(3 seeds; quick: 1 epoch on 64 fashion-mnist training images, batch 64; fashion-mnist\): deleting a single block barely changes ResNet-20&#39;s test error \(increase at most 2 points; 7 of 9 blocks; the 2 downsampling blocks \(layer2\.0, layer3\.0\) excluded\)/);
    for (const seed of [0, 1, 2]) expect(html).toContain(`Seed ${seed}.`);
    for (const source of results.sources) expect(html).toContain(source.sha256);

    const edited = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    edited.seeds[1].models[0].baseline = 'low';
    writeFileSync(join(dir, 'results.json'), JSON.stringify(edited));
    const report = runCli(['report', dir]);
    expect(report.status).toBe(1);
    expect(report.stderr).toMatch(/results\.json does not match the lesion results schema: seeds\.1\.models\.0\.baseline: Invalid input: expected number, received string/);
    expect(report.stderr).not.toMatch(/\n\s+at /); // a bad file, not a bug: no stack
  }, 300_000);
});

describe('skiplab experiment lesion --weights (a PyTorch-trained state dict)', () => {
  const fixture = fileURLToPath(new URL('../fixtures/trained-resnet/resnet14.safetensors', import.meta.url));
  const modelOptions = { depth: 14, baseWidth: 8, skip: 'projection' };

  /** A CIFAR-10 folder in the binary format, a few seeded images per file (the fixture is a 3-channel net). */
  function fakeCifar(): string {
    const dir = scratch();
    let state = 7;
    const batch = (count: number): Uint8Array => {
      const out = new Uint8Array(count * 3073);
      for (let i = 0; i < count; i++) {
        out[i * 3073] = i % 10;
        for (let p = 1; p < 3073; p++) out[i * 3073 + p] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
      }
      return out;
    };
    for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), batch(12));
    writeFileSync(join(dir, 'test_batch.bin'), batch(40));
    return dir;
  }

  it('analyses the given weights with no training step and says where they came from', async () => {
    const store = scratch();
    const data = fakeCifar();
    const r = runCli(['experiment', 'lesion', '--weights', fixture, '--model', 'resnet_cifar', '--model-options', JSON.stringify(modelOptions), '--dataset', 'cifar10', '--data-dir', data, '--store', store], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('(no training)');
    // No run folder anywhere: only the experiment's own folder, with its shards and results.
    const folders = readdirSync(store);
    expect(folders).toHaveLength(1);
    const dir = join(store, folders[0]!);
    expect(folders[0]).toMatch(/^lesion-quick-weights-[0-9a-f]{12}$/);
    const results = lesionResultsSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    const sha256 = sha256Hex(readFileSync(fixture));
    expect(results.sources).toEqual([{ label: 'given', seed: 0, model: 'resnet_cifar', modelOptions, path: fixture, sha256, run: null }]);
    const [model] = results.seeds[0]!.models;
    expect(model!.family).toBe('given');
    // Option-B projections keep the downsampling blocks deletable, but the study leaves them out.
    expect(model!.single.map((l) => l.block)).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    expect(model!.excluded).toEqual(['layer2.0', 'layer3.0']);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain(fixture);
    expect(html).toContain(sha256);

    // The same numbers as the library measures on the same weights and images.
    setBackend(typescriptBackend);
    const config = trainConfigSchema.parse({ model: 'resnet_cifar', modelOptions, dataset: 'cifar10', dataDir: data, trainSubset: 2048, testSubset: 256, epochs: 1 });
    const { test, stats } = loadRunData(config);
    const batches = fixedBatches(test, stats, 128);
    const { model: loaded } = await modelWithWeights('resnet_cifar', fixture, { ...modelOptions, skip: 'projection', inChannels: 3, numClasses: 10 });
    expect(model!.baseline).toBe(classificationError(loaded, batches));
    for (const lesion of model!.single) expect(lesion.error, lesion.block).toBe(withLesions(loaded, [lesion.block], () => classificationError(loaded, batches)));
  }, 120_000);

  it('refuses what it cannot honour, naming the flag and why', () => {
    const cases: [string[], RegExp][] = [
      [['experiment', 'feature-reuse', '--weights', fixture, '--model', 'resnet_cifar'], /--weights does not apply to feature-reuse: it compares models it trains itself; --weights works with lesion, paths, representations, landscape, gradient-flow/],
      // Checked before any job runs: the weights do not fit the model named.
      [['experiment', 'lesion', '--weights', fixture, '--model', 'resnet18'], /loadStateDict from .*resnet14\.safetensors: missing keys: layer4\.0\.conv1\.weight/],
      [['experiment', 'lesion', '--model', 'resnet18'], /--model does not apply to lesion: it names the model of --weights FILE/],
    ];
    for (const [args, message] of cases) {
      const r = runCli([...args, '--store', scratch()], env);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});

describe('experiment flags', () => {
  it('every flag an experiment cannot honour is an error that says so', async () => {
    const { experimentPlan } = await import('../../src/cli/commands/experiment-plans.js');
    const flags = { store: scratch(), report: false, executor: 'local' };
    const refused: [string, Record<string, unknown>, RegExp][] = [
      ['lesion', { depths: '8,20' }, /--depths does not apply to lesion/],
      ['landscape', { standard: true }, /--standard does not apply to landscape: the standard tier is defined for degradation, lesion and paths only/],
      ['landscape', { detach: true }, /--detach does not apply to landscape: its measurements start when its training ends/],
      ['unet-skips', { dataset: 'mnist' }, /--dataset does not apply to unet-skips: it trains on the digit-segmentation set/],
      ['degradation', { weights: 'x.safetensors' }, /--weights does not apply to degradation/],
      ['lesion', { seeds: '0,x' }, /--seeds: 'x' is not a non-negative integer/],
      ['lesion', { seeds: '1,1' }, /--seeds: '1,1' repeats a value/],
      ['lesion', { epochs: '0' }, /--epochs: expected a positive integer, got '0'/],
      ['lesion', { dataset: 'imagenet' }, /--dataset: unknown dataset 'imagenet'/],
      ['lesion', { dataset: 'cifar10' }, /--dataset cifar10 needs --data-dir/],
      ['nonsense', {}, /unknown experiment 'nonsense'/],
      ['degradation', { precision: 'fp16' }, /--precision: unknown precision 'fp16' \(fp32 or bf16\)/],
      ['lesion', { precision: 'bf16' }, /--precision does not apply to lesion: its measurements are defined in FP32/],
    ];
    for (const [name, extra, message] of refused) await expect(experimentPlan(name, { ...flags, ...extra }), `${name} ${JSON.stringify(extra)}`).rejects.toThrow(message);
    // Honoured: the flags reach every analysis experiment's training runs and measurements.
    const plan = await experimentPlan('gradient-flow', { ...flags, seeds: '3,4', epochs: '2', trainSubset: '100', dataset: 'mnist' });
    const [training] = plan.training;
    expect(training!.spec.seeds).toEqual([3, 4]);
    expect(training!.spec.base).toMatchObject({ epochs: 2, trainSubset: 100, dataset: 'mnist' });
    expect(plan.spec.seeds).toEqual([3, 4]);
    // --precision bf16 reaches degradation's training configs, in a store of its own.
    const bf16 = await experimentPlan('degradation', { ...flags, precision: 'bf16' });
    expect(bf16.training[0]!.spec.name).toBe('degradation-quick-bf16');
    expect(bf16.training[0]!.spec.base.precision).toBe('bf16');
  });
});
