import { describe, expect, it } from 'vitest';
import { allOf, compareAbove, compareAtOrBelow, compareInsideRange, decidableOnlyIf, reference, verdictFrom, verdictSentence, type Verdict } from '../../src/analysis/verdict.js';

// Three seeds each; with t₀.₉₇₅(2) = 4.3027 and sd 0.01 the half-width is 0.0248.
const high = { label: 'plain-56', values: [0.14, 0.15, 0.16] }; // [0.1252, 0.1748]
const low = { label: 'plain-20', values: [0.08, 0.09, 0.1] }; // [0.0652, 0.1148]
const budget = { tier: 'standard', description: '4 epochs on 60,000 official Fashion-MNIST images' };

describe('compareAbove', () => {
  it('is supported when the intervals are separated with a above b', () => {
    const c = compareAbove(high, low);
    expect(c.outcome).toBe('supported');
    expect(c.difference.low).toBeCloseTo(0.1252 - 0.1148, 3);
    expect(c.evidence).toBe('plain-56 15.0 ± 2.5 % vs plain-20 9.0 ± 2.5 % (mean ± 95 % t-interval over 3 seeds)');
  });

  it('is contradicted when they are separated the other way', () => {
    const c = compareAbove(low, high);
    expect(c.outcome).toBe('contradicted');
    expect(c.reason).toMatch(/separated the other way: plain-20 is at or below plain-56/);
  });

  it('is inconclusive when the intervals overlap', () => {
    expect(compareAbove({ label: 'a', values: [0.1, 0.12, 0.14] }, { label: 'b', values: [0.09, 0.11, 0.13] }).outcome).toBe('inconclusive');
  });

  it('takes a margin: a separation smaller than the margin is not enough, and no room for it contradicts', () => {
    const c = compareAbove(high, low, { margin: 0.02 });
    expect(c.outcome).toBe('inconclusive'); // a − b is somewhere in [0.0103, 0.1097]
    const same = { label: 'b', values: [0.1, 0.101, 0.102] };
    const d = compareAbove({ label: 'a', values: [0.1, 0.101, 0.102] }, same, { margin: 0.05 });
    expect(d.outcome).toBe('contradicted');
    expect(d.reason).toBe('a is not above b by more than 5.0 % anywhere on the intervals');
  });

  it('uses min–max for 2 seeds and stays inconclusive below minSeeds', () => {
    expect(compareAbove({ label: 'a', values: [0.2, 0.21] }, { label: 'b', values: [0.1, 0.11] }).outcome).toBe('supported');
    const one = compareAbove({ label: 'a', values: [0.9] }, { label: 'b', values: [0.1] });
    expect(one.outcome).toBe('inconclusive');
    expect(one.reason).toBe('fewer than 2 seeds on one side');
    expect(compareAbove({ label: 'a', values: [0.9] }, { label: 'b', values: [0.1] }, { minSeeds: 1 }).outcome).toBe('supported');
  });
});

describe('compareAtOrBelow', () => {
  const res56 = { label: 'ResNet-56', values: [0.061, 0.062, 0.063] }; // [0.0595, 0.0645]
  const res20 = { label: 'ResNet-20', values: [0.06, 0.061, 0.062] }; // [0.0585, 0.0635]

  it('is supported when a lies below b, contradicted when above, inconclusive when they overlap', () => {
    expect(compareAtOrBelow(low, high).outcome).toBe('supported');
    expect(compareAtOrBelow(high, low).outcome).toBe('contradicted');
    expect(compareAtOrBelow(res56, res20).outcome).toBe('inconclusive');
  });

  it('is supported within a margin when a exceeds b by less than the margin everywhere', () => {
    const c = compareAtOrBelow(res56, res20, { margin: 0.01 });
    expect(c.outcome).toBe('supported'); // a − b ≤ 0.0060 < 0.01
    expect(c.reason).toBe('ResNet-56 is at or below ResNet-20 within 1.0 % everywhere on the intervals');
    expect(compareAtOrBelow(high, low, { margin: 0.2 }).outcome).toBe('supported');
    expect(compareAtOrBelow(high, low, { margin: 0.005 }).outcome).toBe('contradicted');
  });
});

describe('compareInsideRange (reproducing another implementation)', () => {
  const torch = { label: 'PyTorch', values: [0.10, 0.11, 0.12] };
  it('is supported when our mean lies inside the reference seeds\' range widened by the margin', () => {
    const c = compareInsideRange({ label: 'ours', values: [0.125, 0.13, 0.12] }, torch, { margin: 0.01 });
    expect(c.outcome).toBe('supported');
    expect(c.reason).toBe("ours's mean lies inside PyTorch's seed range widened by 1.0 %");
    expect(compareInsideRange({ label: 'ours', values: [0.125, 0.13, 0.12] }, torch).outcome).toBe('inconclusive');
  });
  it('is contradicted when the intervals are separated by more than the margin, either way', () => {
    expect(compareInsideRange({ label: 'ours', values: [0.20, 0.21, 0.205] }, torch, { margin: 0.01 }).outcome).toBe('contradicted');
    expect(compareInsideRange({ label: 'ours', values: [0.02, 0.03, 0.025] }, torch, { margin: 0.01 }).outcome).toBe('contradicted');
  });
  it('is inconclusive when the mean is outside the range but the intervals overlap, or with one seed', () => {
    expect(compareInsideRange({ label: 'ours', values: [0.10, 0.16, 0.19] }, torch, { margin: 0.01 }).outcome).toBe('inconclusive');
    expect(compareInsideRange({ label: 'ours', values: [0.11] }, torch, { margin: 0.01 }).outcome).toBe('inconclusive');
  });
});

describe('verdicts and their sentences', () => {
  const degrades = verdictFrom('plain-56 trains to a higher error than plain-20', compareAbove(high, low), budget);
  const residualOk = verdictFrom('ResNet-56 trains at least as well as ResNet-20', compareAtOrBelow(low, high), budget);
  const open: Verdict = { ...residualOk, outcome: 'inconclusive', claim: 'open part', reason: 'the intervals overlap' };
  const against: Verdict = { ...residualOk, outcome: 'contradicted', claim: 'failed part' };

  it('carry the seed count and budget into one sentence, outcome first', () => {
    expect(degrades.seeds).toBe(3);
    expect(verdictSentence(degrades)).toBe(
      'Supported (3 seeds; standard: 4 epochs on 60,000 official Fashion-MNIST images): plain-56 trains to a higher error than plain-20 — ' +
        'plain-56 15.0 ± 2.5 % vs plain-20 9.0 ± 2.5 % (mean ± 95 % t-interval over 3 seeds); the intervals are separated: plain-56 is above plain-20.',
    );
    expect(verdictSentence({ ...open, seeds: 1 })).toMatch(/^Inconclusive at this budget \(1 seed; standard:/);
  });

  it('combine parts: all supported → supported, any contradicted → contradicted, else inconclusive', () => {
    expect(allOf('degradation', [degrades, residualOk]).outcome).toBe('supported');
    expect(allOf('degradation', [degrades, against, open]).outcome).toBe('contradicted');
    const undecided = allOf('degradation', [degrades, open]);
    expect(undecided.outcome).toBe('inconclusive');
    expect(undecided.reason).toBe('not decided: open part (the intervals overlap)');
    expect(() => allOf('nothing', [])).toThrow(/at least one part/);
  });
});

describe('comparisons with a fixed reference', () => {
  it('decide against a fixed value on the measured side\'s interval alone, and count only its seeds', () => {
    const measured = { label: 'increase', values: [0.01, 0.012, 0.014] };
    expect(compareAtOrBelow(measured, reference('no change', 0), { margin: 0.02 }).outcome).toBe('supported');
    expect(compareAtOrBelow({ label: 'increase', values: [0.2, 0.21, 0.22] }, reference('no change', 0), { margin: 0.02 }).outcome).toBe('contradicted');
    expect(compareAtOrBelow({ label: 'increase', values: [0.0, 0.02, 0.04] }, reference('no change', 0), { margin: 0.02 }).outcome).toBe('inconclusive');
    const v = verdictFrom('claim', compareAbove(measured, reference('zero', 0)), budget);
    expect(v.seeds).toBe(3);
    expect(v.evidence).toBe('increase 1.2 ± 0.5 % vs zero 0.0 % (mean ± 95 % t-interval over 3 seeds)');
  });

  it('refuse two references and a reference that is not one finite value', () => {
    expect(() => compareAbove(reference('a', 1), reference('b', 0))).toThrow(/both fixed references/);
    expect(() => compareAbove(high, { label: 'bad', values: [1, 2], exact: true })).toThrow(/reference 'bad' must be one finite value/);
  });
});

describe('decidableOnlyIf', () => {
  const decided = verdictFrom('plain-56 above plain-20', compareAbove(high, low), budget);
  it('keeps a verdict the setting can decide', () => {
    expect(decidableOnlyIf(decided, true, 'too shallow')).toEqual(decided);
  });
  it('turns a decided verdict inconclusive when the setting cannot decide it, saying why', () => {
    const withheld = decidableOnlyIf(decided, false, 'the nets are too shallow');
    expect(withheld.outcome).toBe('inconclusive');
    expect(withheld.reason).toMatch(/separated.*, but the nets are too shallow$/);
  });
});
