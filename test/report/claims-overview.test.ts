import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentStore } from '../../src/experiments/store.js';
import { buildCombinedReport } from '../../src/report/build.js';
import { claimsOverview, pytorchReference } from '../../src/report/claims/overview.js';

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

  it('shows a PyTorch reference once a calibration file exists, and names a malformed one', () => {
    writeFileSync(join(degradation, 'pytorch-reference.json'), JSON.stringify({ source: 'scripts/calibrate.py, torch 1.13', summary: 'plain-44 36.1 ± 1.0 %' }));
    expect(pytorchReference(degradation)).toBe('plain-44 36.1 ± 1.0 % (scripts/calibrate.py, torch 1.13)');
    writeFileSync(join(degradation, 'pytorch-reference.json'), JSON.stringify({ source: 'x' }));
    expect(() => pytorchReference(degradation)).toThrow(/pytorch-reference\.json is not a PyTorch reference: summary/);
    rmSync(join(degradation, 'pytorch-reference.json'));
  });

  it('opens the combined HTML report', async () => {
    const path = await buildCombinedReport([degradation, identity], join(root, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html.indexOf('Claims at a glance')).toBeGreaterThan(-1);
    expect(html.indexOf('Claims at a glance')).toBeLessThan(html.indexOf('The degradation problem'));
  });
});
