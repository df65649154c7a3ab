import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisSection, hasAnalysisSection } from '../../src/report/sections/index.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-sections-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const source = (label: string, seed: number) => ({ label, seed, model: 'resnet_cifar', modelOptions: { depth: 8 }, path: `twins/skip-none_seed-${seed}/weights/epoch-4.safetensors`, sha256: String(seed).repeat(64), run: `twins/skip-none_seed-${seed}` });

function folder(name: string, seeds: object[], mode = 'quick'): string {
  const dir = join(root, `${name}-${mode}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({
    version: 1, experiment: name, mode, dataset: 'fashion-mnist', budget: '4 epochs on 2,048 fashion-mnist training images, batch 64', seconds: 12, writtenAt: '2025-01-01T00:00:00Z',
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
  it('state the identity-construction verdict computed over every seed, with the paper\'s claim beside it', async () => {
    const one = await analysisSection('identity-construction', folder('identity-construction', [{ inserted: ['a', 'b'], maxOutputDifference: 0, rows: rows(0.31) }]));
    // One seed decides nothing.
    expect(one.conclusion).toMatch(/^Inconclusive at this budget \(1 seed; quick: 4 epochs on 2,048 fashion-mnist training images, batch 64; fashion-mnist\): a deeper solution exists but training does not find it — .*not decided: .*fewer than 2 seeds on one side.* Paper's claim \(He et al\. 2016 §1, Fig\. 1; plain-20 \/ plain-56, CIFAR-10\)/);
    expect(one.blocks.some((b) => b.kind === 'figure' && b.svg.startsWith('<svg'))).toBe(true);
    const table = one.blocks.find((b) => b.kind === 'table' && b.headers.includes('SHA-256'));
    expect(table && table.kind === 'table' && table.rows[0]).toEqual(['plain', 0, 'resnet_cifar {"depth":8}', 'twins/skip-none_seed-0', source('plain', 0).path, '0'.repeat(64)]);
    const seeds = [0.31, 0.33, 0.32].map((scratch) => ({ inserted: ['a'], maxOutputDifference: 0, rows: rows(scratch) }));
    const three = await analysisSection('identity-construction', folder('identity-construction', seeds));
    expect(three.conclusion).toMatch(/^Supported \(3 seeds; .*plain-20 from scratch, training error 32\.0 ± 2\.5 % vs the constructed net 20\.0 ± 0\.0 %/);
    const claims = three.blocks[0]!;
    expect(claims.kind === 'table' && claims.headers).toEqual(['claim', "paper's number and setting", 'ours (seeds; budget)', 'parameters', 'verdict']);
    expect(claims.kind === 'table' && String(claims.rows[0]![4])).toMatch(/^supported: /);
    expect(three.blocks.filter((b) => b.kind === 'paragraph' && /^Seed \d\.$/.test(b.text))).toHaveLength(3);
    // The same seeds with no gap between scratch and constructed: the text follows the numbers.
    const noGap = await analysisSection('identity-construction', folder('identity-construction', [0.2, 0.2, 0.2].map((scratch) => ({ inserted: ['a'], maxOutputDifference: 0, rows: rows(scratch) }))));
    expect(noGap.conclusion).toMatch(/^Contradicted \(3 seeds/);
  });

  it('say which lesion candidates there were and that the downsampling blocks are excluded, in the standard tier too', async () => {
    const candidates = ['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1'];
    const model = (family: string, increase: number) => ({
      family, parameters: 1000, baseline: 0.1, single: candidates.map((block, index) => ({ block, index: [0, 1, 3, 5][index]!, error: 0.1 + increase })),
      random: [1, 2, 3, 4].map((deleted) => ({ deleted, meanError: 0.1 + deleted * increase, errors: [0.1 + deleted * increase] })), candidates, excluded: ['layer2.0', 'layer3.0'],
    });
    const seeds = [0.001, 0.002, 0.003].map((r) => ({ depth: 14, testImages: 2000, models: [model('residual', r), model('plain', 0.4)] }));
    const section = await analysisSection('lesion', folder('lesion', seeds, 'standard'));
    expect(section.conclusion).toMatch(/^Supported \(3 seeds; standard: .*\): deleting a single block barely changes ResNet-14's test error \(increase at most 2 points; 4 of 6 blocks; the 2 downsampling blocks \(layer2\.0, layer3\.0\) excluded\)/);
    const intro = section.blocks.find((b) => b.kind === 'paragraph' && b.text.startsWith('A deleted residual block'));
    expect(intro && intro.kind === 'paragraph' && intro.text).toContain('residual, 4 of 6 blocks; the 2 downsampling blocks (layer2.0, layer3.0) excluded; plain, 4 of 6 blocks');
    expect(intro && intro.kind === 'paragraph' && intro.text).toContain('Measured in standard mode');
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
