import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisSection, hasAnalysisSection } from '../../src/report/sections/index.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-sections-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const source = (label: string, seed: number) => ({ label, seed, model: 'resnet_cifar', modelOptions: { depth: 8 }, path: `twins/skip-none_seed-${seed}/weights/epoch-4.safetensors`, sha256: String(seed).repeat(64), run: `twins/skip-none_seed-${seed}` });

function folder(name: string, seeds: object[]): string {
  const dir = join(root, `${name}-quick`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({
    version: 1, experiment: name, mode: 'quick', dataset: 'fashion-mnist', seconds: 12, writtenAt: '2025-01-01T00:00:00Z',
    sources: seeds.map((_, i) => source('plain', i)), seeds: seeds.map((s, i) => ({ seed: i, ...s })),
  }));
  return dir;
}

const rows = (scratch: number) => [
  { name: 'plain-8 (trained)', depth: 8, trainError: 0.2, testError: 0.22 },
  { name: 'plain-20 = plain-8 + 6 identity blocks', depth: 20, trainError: 0.2, testError: 0.22 },
  { name: 'plain-20 trained from scratch', depth: 20, trainError: scratch, testError: 0.3 },
];

describe('analysis report sections', () => {
  it('state the identity-construction conclusion from the numbers in results.json, per seed', async () => {
    const higher = await analysisSection('identity-construction', folder('identity-construction', [{ inserted: ['a', 'b'], maxOutputDifference: 0, rows: rows(0.31) }]));
    expect(higher.conclusion).toContain('exactly the same training error (20.00 % vs 20.00 %');
    expect(higher.conclusion).toContain('from scratch with the same recipe ends at 31.00 %: the solver misses');
    expect(higher.blocks.some((b) => b.kind === 'figure' && b.svg.startsWith('<svg'))).toBe(true);
    const table = higher.blocks.find((b) => b.kind === 'table' && b.headers.includes('SHA-256'));
    expect(table && table.kind === 'table' && table.rows[0]).toEqual(['plain', 0, 'resnet_cifar {"depth":8}', 'twins/skip-none_seed-0', source('plain', 0).path, '0'.repeat(64)]);
    const two = await analysisSection('identity-construction', folder('identity-construction', [{ inserted: ['a'], maxOutputDifference: 0, rows: rows(0.31) }, { inserted: ['a'], maxOutputDifference: 0, rows: rows(0.1) }]));
    expect(two.conclusion).toMatch(/^Seed 0: .*the solver misses.* Seed 1: (?!.*the solver misses)/);
    expect(two.blocks.filter((b) => b.kind === 'paragraph' && /^Seed \d\.$/.test(b.text))).toHaveLength(2);
  });

  it('refuse a results.json that does not match its schema, naming the file and the field', async () => {
    const dir = folder('identity-construction', [{ inserted: ['a'], maxOutputDifference: '0', rows: rows(0.31) }]);
    await expect(analysisSection('identity-construction', dir)).rejects.toThrow(/results\.json does not match the identity-construction results schema: seeds\.0\.maxOutputDifference: Invalid input: expected number, received string/);
    const wrongVersion = folder('paths', []);
    writeFileSync(join(wrongVersion, 'results.json'), JSON.stringify({ experiment: 'paths', version: 2 }));
    await expect(analysisSection('paths', wrongVersion)).rejects.toThrow(/version: Invalid input: expected 1/);
    writeFileSync(join(wrongVersion, 'results.json'), JSON.stringify({ experiment: 'lesion' }));
    await expect(analysisSection('paths', wrongVersion)).rejects.toThrow(/results.json: field 'experiment' is "lesion", expected 'paths'/);
    await expect(analysisSection('paths', join(root, 'missing'))).rejects.toThrow(/not found — run `skiplab experiment paths`/);
    expect(hasAnalysisSection('lesion')).toBe(true);
    expect(hasAnalysisSection('degradation')).toBe(false);
  });
});
