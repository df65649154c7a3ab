import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentStore } from '../../src/experiments/store.js';
import { buildCombinedReport } from '../../src/report/build.js';
import { claimsOverview } from '../../src/report/claims/overview.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-overview-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An experiment folder with its spec and a results.json (no runs: the report reads only results.json). */
function folder(name: string, kind: string, results: object): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ name, kind, base: { dataset: 'fashion-mnist' }, seeds: [0, 1, 2] }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
  return dir;
}

const rows = (scratch: number) => [
  { name: 'plain-8', depth: 8, trainError: 0.2, testError: 0.22 },
  { name: 'plain-20 = plain-8 + identity blocks', depth: 20, trainError: 0.2, testError: 0.22 },
  { name: 'plain-20 from scratch', depth: 20, trainError: scratch, testError: 0.3 },
];
const identity = folder('identity-construction-quick', 'identity-construction', {
  version: 1, experiment: 'identity-construction', mode: 'quick', dataset: 'fashion-mnist', budget: '4 epochs on 2,048 fashion-mnist training images, batch 64', seconds: 1, writtenAt: '', sources: [],
  seeds: [0.31, 0.33, 0.32].map((scratch, seed) => ({ seed, inserted: ['a'], maxOutputDifference: 0, rows: rows(scratch) })),
});
const run = (residual: boolean, depth: number, seed: number, error: number) => ({ id: `depth-${depth}_skip-${residual ? 'identity' : 'none'}_seed-${seed}`, depth, residual, seed, parameters: 1000 + depth, complete: true, curve: [{ step: 10, epoch: 0, trainError: error }], epochs: [], finalTrainError: error, finalTestError: null, seconds: 1 });
const degradation = folder('degradation-quick', 'degradation', {
  version: 1, experiment: 'degradation-quick', dataset: 'fashion-mnist', tier: 'quick', budget: '2 epochs on 5,000 fashion-mnist training images', writtenAt: '',
  runs: [0, 1].flatMap((seed) => [run(false, 8, seed, 0.24 + seed / 100), run(false, 44, seed, 0.37 + seed / 100), run(true, 8, seed, 0.23), run(true, 44, seed, 0.3)]),
});

describe('the combined report\'s claims table', () => {
  it('has one row per claim: the paper\'s number, ours with seeds and budget, PyTorch (not calibrated), the verdict', () => {
    const overview = claimsOverview([ExperimentStore.open(degradation), ExperimentStore.open(identity)]);
    const table = overview.blocks.find((b) => b.kind === 'table')!;
    expect(table.kind === 'table' && table.headers).toEqual(['claim', "paper's number and setting", 'ours (mean ± interval; seeds; budget)', 'PyTorch reference', 'verdict']);
    if (table.kind !== 'table') throw new Error('no table');
    expect(table.rows).toHaveLength(2);
    const [deg, ic] = table.rows;
    expect(String(deg![1])).toMatch(/He et al\. 2016 §4\.2, Fig\. 6, Table 6/);
    expect(String(deg![2])).toMatch(/^plain-44 37\.5 % \(37\.0–38\.0\) vs plain-8 24\.5 % \(24\.0–25\.0\) .*\(2 seeds; quick: 2 epochs on 5,000 fashion-mnist training images; fashion-mnist\); parameters plain-8 1,008/);
    expect(deg![3]).toBe('not calibrated');
    // ResNet-44 at 30 % against ResNet-8 at 23 %: the residual part contradicts the claim.
    expect(String(deg![4])).toMatch(/^contradicted: /);
    expect(String(ic![4])).toMatch(/^supported: /);
    expect(overview.conclusion).toBe('2 claims checked: 1 supported, 1 contradicted, 0 inconclusive at their budget.');
  });

  it('compares with a PyTorch calibration of the same recipe, refuses another recipe, and names a malformed file', () => {
    const path = join(degradation, 'pytorch-reference.json');
    const torchRun = (skip: string, depth: number, seed: number, trainError: number) => ({ depth, skip, seed, complete: true, parameters: 1000 + depth, seconds: 5, final: { trainLoss: 1, trainError, testLoss: 1, testError: 0.3 } });
    const calibration = (epochs: number, errors: Record<string, number[]>) => ({
      experiment: 'degradation-standard', framework: 'pytorch 1.13.0a0',
      data: { kind: 'official', name: 'fashion-mnist', files: [{ path: '/x/train-images-idx3-ubyte.gz', sha256: 'a'.repeat(64) }] },
      recipe: { baseWidth: 16, epochs, batchSize: 128, lr: 0.1, warmupEpochs: 0, trainCount: 60000, testCount: 10000 },
      runs: Object.entries(errors).flatMap(([net, values]) => values.map((e, seed) => torchRun(net.startsWith('r') ? 'identity' : 'none', Number(net.slice(1)), seed, e))),
    });
    const spec = JSON.parse(readFileSync(join(degradation, 'experiment.json'), 'utf8'));
    writeFileSync(join(degradation, 'experiment.json'), JSON.stringify({ ...spec, base: { ...spec.base, epochs: 2, batchSize: 128, lr: 0.1, schedule: 'step' } }));
    const rowsOf = () => {
      const table = claimsOverview([ExperimentStore.open(degradation)]).blocks.find((b) => b.kind === 'table')!;
      if (table.kind !== 'table') throw new Error('no table');
      return table.rows;
    };
    // Ours: plain-8 24.5 (24–25), plain-44 37.5 (37–38), ResNet-8 23, ResNet-44 30 over 2 seeds.
    writeFileSync(path, JSON.stringify(calibration(2, { p8: [0.245, 0.25], p44: [0.36, 0.38], r8: [0.225, 0.235], r44: [0.29, 0.31] })));
    let table = rowsOf();
    expect(table).toHaveLength(2);
    expect(String(table[0]![3])).toMatch(/^final training error plain-8 24\.8 % \(24\.5–25\.0\) \(2 seeds\) · plain-44 37\.0 %.* \(pytorch 1\.13\.0a0\)$/);
    expect(String(table[1]![0])).toMatch(/^skiplab reproduces PyTorch/);
    expect(String(table[1]![1])).toMatch(/^PyTorch reference: final training error plain-8 /);
    expect(String(table[1]![4])).toMatch(/^supported: /);
    // PyTorch's ResNet-44 far below ours: separated by more than the margin.
    writeFileSync(path, JSON.stringify(calibration(2, { p8: [0.245, 0.25], p44: [0.36, 0.38], r8: [0.225, 0.235], r44: [0.1, 0.11] })));
    expect(String(rowsOf()[1]![4])).toMatch(/^contradicted: .*separated by more than 1\.0 %/);
    // Another recipe: shown, not compared.
    writeFileSync(path, JSON.stringify(calibration(4, { p8: [0.245, 0.25] })));
    table = rowsOf();
    expect(table).toHaveLength(1);
    expect(String(table[0]![3])).toBe('calibrated with another recipe (epochs 2 here, 4 in PyTorch): not compared');
    writeFileSync(path, JSON.stringify({ ...calibration(2, {}), recipe: { epochs: 2 } }));
    expect(() => rowsOf()).toThrow(/pytorch-reference\.json is not a PyTorch calibration: recipe\.baseWidth/);
    rmSync(path);
    writeFileSync(join(degradation, 'experiment.json'), JSON.stringify(spec));
  });

  it('opens the combined HTML report', async () => {
    const path = await buildCombinedReport([degradation, identity], join(root, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html.indexOf('Claims at a glance')).toBeGreaterThan(-1);
    expect(html.indexOf('Claims at a glance')).toBeLessThan(html.indexOf('The degradation problem'));
  });
});
