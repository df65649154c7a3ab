import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathLengthDistribution } from '../../src/analysis/paths.js';
import { ExperimentStore } from '../../src/experiments/store.js';
import { experimentSections } from '../../src/report/build.js';
import { loadCalibration } from '../../src/report/claims/calibration.js';
import { claimsOverview } from '../../src/report/claims/overview.js';
import { CALIBRATION_RECIPE, writeTwinsSpec } from '../helpers/calibration-twins.js';

/**
 * A paths experiment folder beside the training spec of its residual twins (as `skiplab
 * experiment paths` stores them), with a PyTorch calibration in `pytorch-reference.json`: the
 * report compares our gradient-weighted mean path length with PyTorch's seed range.
 */
const root = mkdtempSync(join(tmpdir(), 'skiplab-paths-calibration-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// ResNet-14: 6 residual blocks.
const n = 6;
const recipe = CALIBRATION_RECIPE;

const twinsSpec = (epochs: number): void => writeTwinsSpec(root, epochs);

/** Shares of the gradient split between the two lengths around `mean` so that the gradient-weighted mean length is `mean`. */
function contributionWithMean(mean: number): { length: number; share: number }[] {
  const below = Math.floor(mean);
  return Array.from({ length: n + 1 }, (_, k) => ({ length: k, share: k === below ? below + 1 - mean : k === below + 1 ? mean - below : 0 }));
}

/** Our paths results: per seed a gradient-weighted mean path length, measured with `samples` paths per length. */
function pathsFolder(means: number[], samples = 4): string {
  const dir = join(root, 'paths-test');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ name: 'paths-test', kind: 'paths', base: { dataset: 'fashion-mnist' }, seeds: [0, 1, 2] }));
  const source = (seed: number) => ({ label: 'residual', seed, model: 'resnet_cifar', modelOptions: { depth: 14, baseWidth: 8, skip: 'identity' }, path: `twins/skip-identity_seed-${seed}/weights/final.safetensors`, sha256: String(seed).repeat(64), run: `twins/skip-identity_seed-${seed}` });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({
    version: 1, experiment: 'paths', mode: 'standard', dataset: 'fashion-mnist', budget: '4 epochs on 60,000 fashion-mnist training images', seconds: 1, writtenAt: '',
    sources: means.map((_, seed) => source(seed)),
    seeds: means.map((mean, seed) => ({
      seed, depth: 14, finalTrainError: 0.08, blocks: n, distribution: pathLengthDistribution(n),
      gradientByLength: Array.from({ length: n + 1 }, (_, k) => ({ length: k, gradientNorm: 0.01 / (k + 1), samples })),
      contribution: contributionWithMean(mean), effectiveRange: { from: 2, to: 3, coverage: 1 },
      paper: { blocks: 54, effectiveFrom: 5, effectiveTo: 17, model: 'ResNet-110 on CIFAR-10' },
    })),
  }));
  return dir;
}

/** PyTorch's runs: per seed its gradient-weighted mean path length, or null for a run cut short. */
function calibration(dir: string, means: (number | null)[], samplesPerLength = 4): void {
  const run = (seed: number, mean: number | null) => (mean === null
    ? { depth: 14, skip: 'identity', seed, complete: false, seconds: 3, epochs: [] }
    : {
      depth: 14, skip: 'identity', seed, complete: true, parameters: 1234, weights: null, finalTrainError: 0.08, testImages: 128, samplesPerLength, blocks: n,
      gradientByLength: Array.from({ length: n + 1 }, (_, k) => ({ length: k, gradientNorm: 0.02 / (k + 1), samples: samplesPerLength })),
      contribution: contributionWithMean(mean), effectiveRange: { from: 2, to: 3, coverage: 1 }, gradientWeightedLength: mean, seconds: 9, epochs: [],
    });
  writeFileSync(join(dir, 'pytorch-reference.json'), JSON.stringify({
    experiment: 'paths-standard', framework: 'pytorch 1.13.0a0', data: { kind: 'official', name: 'fashion-mnist', files: [] }, recipe,
    measurement: { images: 128, samplesPerLength, coverage: 0.9 }, runs: means.map((v, seed) => run(seed, v)),
  }));
}

function overviewRows(dir: string): string[][] {
  const table = claimsOverview([ExperimentStore.open(dir)]).blocks.find((b) => b.kind === 'table')!;
  if (table.kind !== 'table') throw new Error('no table');
  return table.rows.map((r) => r.map(String));
}
const reproduces = (rows: string[][]) => rows.find((r) => r[0]!.startsWith('skiplab reproduces PyTorch'));

// Ours: gradient-weighted mean path lengths 2.2, 2.4, 2.6 blocks (mean 2.4).
const ours = [2.2, 2.4, 2.6];

describe('the paths report against a PyTorch calibration', () => {
  it('is supported when our mean path length lies inside PyTorch\'s seed range widened by 1 block', () => {
    twinsSpec(4);
    const dir = pathsFolder(ours);
    // Our mean 2.4 lies below PyTorch's 3.0–3.3, inside it widened by 1 block.
    calibration(dir, [3.0, 3.2, 3.3]);
    const rows = overviewRows(dir);
    expect(rows).toHaveLength(2);
    expect(rows[0]![3]).toMatch(/^gradient-weighted mean path length ResNet-14 3\.17 ± .* blocks \(3 seeds\) \(pytorch 1\.13\.0a0\)$/);
    const check = reproduces(rows)!;
    expect(check[4]).toMatch(/^supported: /);
    expect(check[0]).toMatch(/widened by 1 block\) \[paths\]$/);
    expect(check[1]).toMatch(/^PyTorch reference: .*scripts\/calibration\/paths_standard\.py/);
    expect(check[2]).toContain('PyTorch ResNet-14 3.17');
  });

  it('is contradicted when our mean path length is separated from PyTorch\'s by more than 1 block', () => {
    const dir = pathsFolder(ours);
    calibration(dir, [4.5, 4.6, 4.7]);
    const check = reproduces(overviewRows(dir))!;
    expect(check[4]).toMatch(/^contradicted: .*separated by more than 1\.00 blocks/);
  });

  it('is inconclusive while PyTorch has fewer than 2 complete runs, and absent before it has one', () => {
    const dir = pathsFolder(ours);
    calibration(dir, [2.5, null]);
    const rows = overviewRows(dir);
    expect(rows[0]![3]).toMatch(/ResNet-14 2\.50 blocks \(1 seed\)/);
    expect(reproduces(rows)![4]).toMatch(/^inconclusive: .*fewer than 2 seeds/);
    calibration(dir, [null]);
    expect(reproduces(overviewRows(dir))).toBeUndefined();
  });

  it('shows PyTorch\'s measurement of each seed beside ours in the paths section', async () => {
    const dir = pathsFolder(ours);
    calibration(dir, [3.0, 3.2]);
    const [section] = await experimentSections(ExperimentStore.open(dir));
    const windows = section!.blocks.filter((b) => b.kind === 'table' && b.headers[0] === 'window');
    expect(windows).toHaveLength(3);
    const [first, , last] = windows.map((t) => (t.kind === 'table' ? t : null)!);
    expect(first.rows.map((r) => r[0])).toContain('PyTorch, seed 0 (gradient × count)');
    expect(first.caption).toContain('mean path length is 2.20 (PyTorch: 3.00)');
    // Seed 2 has no PyTorch run yet.
    expect(last.rows.map((r) => r[0])).toContain('PyTorch, seed 2 (not run yet)');
    expect(last.caption).not.toContain('(PyTorch: ');
  });

  it('compares nothing when the recipe or the sampling differ, or the training spec is missing', () => {
    twinsSpec(2);
    const dir = pathsFolder(ours);
    calibration(dir, [3.0, 3.2, 3.3]);
    let rows = overviewRows(dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]![3]).toBe('calibrated with another recipe (epochs 2 here, 4 in PyTorch): not compared');
    twinsSpec(4);
    calibration(dir, [3.0, 3.2, 3.3], 10);
    rows = overviewRows(dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]![3]).toBe('calibrated with another recipe (samplesPerLength 4 here, 10 in PyTorch): not compared');
    rmSync(join(root, 'twins'), { recursive: true });
    rows = overviewRows(dir);
    expect(rows[0]![3]).toMatch(/^calibrated with another recipe \(the training spec of the measured nets \(.*twins\/experiment\.json\) is missing; samplesPerLength 4 here, 10 in PyTorch\): not compared$/);
    twinsSpec(4);
  });

  it('names the file and the field of a malformed calibration', () => {
    const dir = pathsFolder(ours);
    calibration(dir, [3.0]);
    const path = join(dir, 'pytorch-reference.json');
    const good = JSON.parse(JSON.stringify(loadCalibration(ExperimentStore.open(dir))!.calibration));
    writeFileSync(path, JSON.stringify({ ...good, runs: [{ ...good.runs[0], gradientWeightedLength: undefined }] }));
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json is not a PyTorch calibration: runs\.0\.gradientWeightedLength: a complete run needs 'gradientWeightedLength'/);
    writeFileSync(path, JSON.stringify({ ...good, runs: [{ ...good.runs[0], contribution: [{ length: 0, share: 1.5 }] }] }));
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json is not a PyTorch calibration: runs\.0\.contribution\.0\.share: /);
    writeFileSync(path, JSON.stringify({ ...good, measurement: undefined }));
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json is not a PyTorch calibration: measurement: /);
  });
});
