import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisSection, hasAnalysisSection } from '../../src/report/sections/index.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-sections-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, results: object): string {
  const dir = join(root, `${name}-quick`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ experiment: name, mode: 'quick', dataset: 'fashion-mnist', seed: 0, seconds: 12, ...results }));
  return dir;
}

describe('analysis report sections', () => {
  it('states the identity-construction conclusion from the numbers in results.json', async () => {
    const rows = (scratch: number) => [
      { name: 'plain-8 (trained)', depth: 8, trainError: 0.2, testError: 0.22 },
      { name: 'plain-20 = plain-8 + 6 identity blocks', depth: 20, trainError: 0.2, testError: 0.22 },
      { name: 'plain-20 trained from scratch', depth: 20, trainError: scratch, testError: 0.3 },
    ];
    const higher = await analysisSection('identity-construction', folder('identity-construction', { inserted: ['a', 'b'], maxOutputDifference: 0, rows: rows(0.31) }));
    expect(higher.conclusion).toContain('exactly the same training error (20.00 % vs 20.00 %');
    expect(higher.conclusion).toContain('from scratch with the same recipe ends at 31.00 %: the solver misses');
    const lower = await analysisSection('identity-construction', folder('identity-construction', { inserted: ['a'], maxOutputDifference: 0, rows: rows(0.1) }));
    expect(lower.conclusion).not.toContain('the solver misses');
    expect(lower.blocks.some((b) => b.kind === 'figure' && b.svg.startsWith('<svg'))).toBe(true);
  });

  it('names the file and the field when results.json belongs to another experiment', async () => {
    const dir = folder('paths', {});
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ experiment: 'lesion' }));
    await expect(analysisSection('paths', dir)).rejects.toThrow(/results.json: field 'experiment' is "lesion", expected 'paths'/);
    await expect(analysisSection('paths', join(root, 'missing'))).rejects.toThrow(/not found — run `skiplab experiment paths`/);
    expect(hasAnalysisSection('lesion')).toBe(true);
    expect(hasAnalysisSection('degradation')).toBe(false);
  });
});
