import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentStore } from '../../src/experiments/store.js';
import { experimentSections } from '../../src/report/build.js';
import { loadCalibration } from '../../src/report/claims/calibration.js';
import { claimsOverview } from '../../src/report/claims/overview.js';
import { CALIBRATION_RECIPE, writeTwinsSpec } from '../helpers/calibration-twins.js';

/**
 * A lesion experiment folder beside the training spec of its twins (as `skiplab experiment lesion`
 * stores them), with a PyTorch calibration in `pytorch-reference.json`: the report compares each
 * twin's mean single-deletion increase with PyTorch's seed range.
 */
const root = mkdtempSync(join(tmpdir(), 'skiplab-lesion-calibration-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const blocks = ['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1'];
const excluded = ['layer2.0', 'layer3.0'];
const recipe = CALIBRATION_RECIPE;

const twinsSpec = (epochs: number): void => writeTwinsSpec(root, epochs);

/** Our lesion results: per seed a residual and a plain twin whose every single deletion raises the test error by the given amount. */
function lesionFolder(residual: number[], plain: number[]): string {
  const dir = join(root, 'lesion-test');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ name: 'lesion-test', kind: 'lesion', base: { dataset: 'fashion-mnist' }, seeds: [0, 1, 2] }));
  const model = (family: string, increase: number) => ({
    family, parameters: 1000, baseline: 0.1, single: blocks.map((block, index) => ({ block, index, error: 0.1 + increase })),
    random: [{ deleted: 1, meanError: 0.1 + increase, errors: [0.1 + increase] }], candidates: blocks, excluded,
  });
  const source = (family: string, skip: string, seed: number) => ({ label: family, seed, model: 'resnet_cifar', modelOptions: { depth: 14, baseWidth: 8, skip }, path: `twins/skip-${skip}_seed-${seed}/weights/final.safetensors`, sha256: String(seed).repeat(64), run: `twins/skip-${skip}_seed-${seed}` });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({
    version: 1, experiment: 'lesion', mode: 'standard', dataset: 'fashion-mnist', budget: '4 epochs on 60,000 fashion-mnist training images', seconds: 1, writtenAt: '',
    sources: [0, 1, 2].flatMap((seed) => [source('residual', 'identity', seed), source('plain', 'none', seed)]),
    seeds: [0, 1, 2].map((seed) => ({ seed, depth: 14, testImages: 1000, models: [model('residual', residual[seed]!), model('plain', plain[seed]!)] })),
  }));
  return dir;
}

/** PyTorch's runs: per seed of each net its increase, or null for a run cut short. */
function calibration(dir: string, increases: { residual: (number | null)[]; plain: (number | null)[] }): void {
  const run = (skip: string, seed: number, increase: number | null) => (increase === null
    ? { depth: 14, skip, seed, complete: false, seconds: 3 }
    : { depth: 14, skip, seed, complete: true, parameters: 1000, testImages: 1000, baseline: 0.09, single: blocks.map((block) => ({ block, error: 0.09 + increase })), excluded, seconds: 9 });
  writeFileSync(join(dir, 'pytorch-reference.json'), JSON.stringify({
    experiment: 'lesion-standard', framework: 'pytorch 1.13.0a0', data: { kind: 'official', name: 'fashion-mnist', files: [] }, recipe,
    runs: [...increases.residual.map((v, seed) => run('identity', seed, v)), ...increases.plain.map((v, seed) => run('none', seed, v))],
  }));
}

function overviewRows(dir: string): string[][] {
  const table = claimsOverview([ExperimentStore.open(dir)]).blocks.find((b) => b.kind === 'table')!;
  if (table.kind !== 'table') throw new Error('no table');
  return table.rows.map((r) => r.map(String));
}
const reproduces = (rows: string[][]) => rows.find((r) => r[0]!.startsWith('skiplab reproduces PyTorch'));

// Ours: ResNet-14 +0.5, +1.0, +1.5 points; plain-14 +30, +35, +40 points.
const ours = { residual: [0.005, 0.01, 0.015], plain: [0.3, 0.35, 0.4] };

describe('the lesion report against a PyTorch calibration', () => {
  it('is supported when each twin\'s mean increase lies inside PyTorch\'s seed range widened by 2 points', () => {
    twinsSpec(4);
    const dir = lesionFolder(ours.residual, ours.plain);
    // Both of our means (1 and 35 points) lie just outside PyTorch's ranges, inside them widened by 2 points.
    calibration(dir, { residual: [0.015, 0.02, 0.025], plain: [0.36, 0.37, 0.38] });
    const rows = overviewRows(dir);
    expect(rows).toHaveLength(3);
    expect(rows[0]![3]).toMatch(/^mean increase in test error per single deletion plain-14 37\.0 ± .* \(3 seeds\) · ResNet-14 2\.0 ± .* \(3 seeds\) \(pytorch 1\.13\.0a0\)$/);
    const check = reproduces(rows)!;
    expect(check[4]).toMatch(/^supported: /);
    expect(check[0]).toMatch(/widened by 2 points\) \[lesion\]$/);
    expect(check[1]).toMatch(/^PyTorch reference: .*scripts\/calibration\/lesion_standard\.py/);
  });

  it('is contradicted when a twin\'s increase is separated from PyTorch\'s by more than the margin', () => {
    const dir = lesionFolder(ours.residual, ours.plain);
    // PyTorch's plain-14 barely suffers: 5 points against our 35.
    calibration(dir, { residual: [0.004, 0.012, 0.02], plain: [0.04, 0.05, 0.06] });
    const check = reproduces(overviewRows(dir))!;
    expect(check[4]).toMatch(/^contradicted: .*separated by more than 2\.0 %/);
    expect(check[2]).toContain('PyTorch plain-14 increase 5.0');
  });

  it('is inconclusive while PyTorch has fewer than 2 complete runs of a net', () => {
    const dir = lesionFolder(ours.residual, ours.plain);
    calibration(dir, { residual: [0.01, null], plain: [] });
    const rows = overviewRows(dir);
    expect(rows[0]![3]).toMatch(/plain-14 – · ResNet-14 1\.0 % \(1 seed\)/);
    const check = reproduces(rows)!;
    expect(check[4]).toMatch(/^inconclusive: .*fewer than 2 seeds/);
    // The twin PyTorch has not trained is named, not compared with an empty range.
    expect(check[0]).toContain('plain-14 not yet trained in PyTorch');
    expect(check[2]).not.toContain('PyTorch plain-14');
    expect(check[2]).toMatch(/\(1 seed;/);
  });

  it('makes no reproduction check before PyTorch has trained either twin', () => {
    const dir = lesionFolder(ours.residual, ours.plain);
    calibration(dir, { residual: [null], plain: [] });
    expect(reproduces(overviewRows(dir))).toBeUndefined();
  });

  it('shows PyTorch\'s runs beside ours in the lesion section, seed by seed', async () => {
    const dir = lesionFolder(ours.residual, ours.plain);
    calibration(dir, { residual: [0.004, 0.012], plain: [0.32] });
    const [section] = await experimentSections(ExperimentStore.open(dir));
    const tables = section!.blocks.filter((b) => b.kind === 'table');
    const summary = tables.find((t) => t.kind === 'table' && t.headers.includes('mean increase'))!;
    if (summary.kind !== 'table') throw new Error('no table');
    // Seed 0's table: ours, then PyTorch's residual (+0.4 points) and plain (+32 points) runs.
    expect(summary.rows.map((r) => [r[0], r[4]])).toEqual([['residual', '0.5 %'], ['plain', '30.0 %'], ['PyTorch residual', '0.4 %'], ['PyTorch plain', '32.0 %']]);
    const perBlock = tables.find((t) => t.kind === 'table' && t.headers[0] === 'block')!;
    expect(perBlock.kind === 'table' && perBlock.headers).toEqual(['block', 'residual: error', 'plain: error', 'PyTorch residual: error', 'PyTorch plain: error']);
    // Seed 2 has no PyTorch run yet.
    const last = tables.filter((t) => t.kind === 'table' && t.headers.includes('mean increase')).at(-1)!;
    expect(last.kind === 'table' && last.rows.map((r) => r[0])).toEqual(['residual', 'plain', 'PyTorch residual (not run yet)', 'PyTorch plain (not run yet)']);
  });

  it('shows a calibration of another recipe, or one whose twins\' training spec is missing, without comparing', () => {
    twinsSpec(2);
    const dir = lesionFolder(ours.residual, ours.plain);
    calibration(dir, { residual: [0.004, 0.012, 0.02], plain: [0.32, 0.36, 0.41] });
    let rows = overviewRows(dir);
    expect(rows).toHaveLength(2);
    expect(rows[0]![3]).toBe('calibrated with another recipe (epochs 2 here, 4 in PyTorch): not compared');
    rmSync(join(root, 'twins'), { recursive: true });
    rows = overviewRows(dir);
    expect(rows[0]![3]).toMatch(/^calibrated with another recipe \(the training spec of the measured nets \(.*twins\/experiment\.json\) is missing\): not compared$/);
    twinsSpec(4);
  });

  it('names the file and the field of a malformed calibration', () => {
    const dir = lesionFolder(ours.residual, ours.plain);
    calibration(dir, { residual: [0.01], plain: [] });
    const path = join(dir, 'pytorch-reference.json');
    const good = JSON.parse(JSON.stringify(loadCalibration(ExperimentStore.open(dir))!.calibration));
    writeFileSync(path, JSON.stringify({ ...good, runs: [{ ...good.runs[0], baseline: undefined }] }));
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json is not a PyTorch calibration: runs\.0\.baseline: a complete run needs 'baseline'/);
    writeFileSync(path, JSON.stringify({ ...good, runs: [{ ...good.runs[0], single: [{ block: 'layer1.0', error: 1.5 }] }] }));
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json is not a PyTorch calibration: runs\.0\.single\.0\.error: /);
    writeFileSync(path, '{ "runs": [');
    expect(() => loadCalibration(ExperimentStore.open(dir))).toThrow(/pytorch-reference\.json: not valid JSON/);
  });
});
