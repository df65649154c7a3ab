import { describe, expect, it } from 'vitest';
import { check, formatInterval, judge, meanInterval, overall, pairedDifference, t95 } from '../../web/src/verdict.js';

describe('lab verdicts', () => {
  it('uses Student\'s t quantiles (small samples get wider intervals)', () => {
    expect(t95(1)).toBeCloseTo(12.706, 3);
    expect(t95(9)).toBeCloseTo(2.262, 3);
    expect(t95(40)).toBeCloseTo(2.021, 2);
    expect(t95(120)).toBeCloseTo(1.98, 2);
    expect(() => t95(0)).toThrow(/degrees of freedom/);
  });

  it('computes a mean with its 95 % t-interval', () => {
    // Mean 3, sample sd √2.5, n = 5: half width 2.776 · √(2.5 / 5).
    const i = meanInterval([1, 2, 3, 4, 5]);
    expect(i.estimate).toBe(3);
    expect(i.high - i.estimate).toBeCloseTo(2.776 * Math.sqrt(0.5), 6);
    expect(i.estimate - i.low).toBeCloseTo(2.776 * Math.sqrt(0.5), 6);
    expect(i.n).toBe(5);
    expect(meanInterval([4]).low).toBe(-Infinity);
    expect(() => meanInterval([])).toThrow(/no values/);
    expect(() => meanInterval([1, NaN])).toThrow(/non-finite/);
  });

  it('pairs differences unit by unit', () => {
    const d = pairedDifference([5, 6, 7], [1, 2, 3.5]);
    expect(d.estimate).toBeCloseTo((4 + 4 + 3.5) / 3, 12);
    expect(() => pairedDifference([1], [1, 2])).toThrow(/1 values against 2/);
  });

  it('reaches each of the three outcomes', () => {
    expect(judge({ estimate: 0.5, low: 0.3, high: 0.7, n: 10 }, 0.2)).toBe('supported');
    // Clearly positive but smaller than the claim's effect: the claim's effect is absent.
    expect(judge({ estimate: 0.05, low: 0.02, high: 0.08, n: 10 }, 0.2)).toBe('contradicted');
    // Reversed.
    expect(judge({ estimate: -0.5, low: -0.7, high: -0.3, n: 10 }, 0.2)).toBe('contradicted');
    // Too noisy to tell.
    expect(judge({ estimate: 0.3, low: -0.1, high: 0.7, n: 10 }, 0.2)).toBe('inconclusive');
    // Clearly above zero, estimate below the threshold, interval reaching past it.
    expect(judge({ estimate: 0.15, low: 0.05, high: 0.25, n: 10 }, 0.2)).toBe('inconclusive');
    expect(() => judge({ estimate: 1, low: 0, high: 2, n: 2 }, -1)).toThrow(/≥ 0/);
  });

  it('combines checks: all supported, any contradicted, else inconclusive', () => {
    const make = (values: number[]) => check('claim', meanInterval(values), 0.5, 'measured');
    const yes = make([1, 1.1, 0.9, 1.05]);
    const no = make([-1, -1.1, -0.9, -1.05]);
    const unsure = make([2, -2, 1.5, -1]);
    expect([yes.outcome, no.outcome, unsure.outcome]).toEqual(['supported', 'contradicted', 'inconclusive']);
    expect(overall([yes, yes])).toBe('supported');
    expect(overall([yes, unsure])).toBe('inconclusive');
    expect(overall([yes, unsure, no])).toBe('contradicted');
    expect(() => overall([])).toThrow(/at least one check/);
  });

  it('formats intervals for the sentences', () => {
    expect(formatInterval({ estimate: 0.1234, low: 0.1, high: 0.15, n: 3 }, 2)).toBe('0.12 [0.10, 0.15]');
    expect(formatInterval({ estimate: 0.1234, low: 0.1, high: 0.15, n: 3 }, 1, 100)).toBe('12.3 [10.0, 15.0]');
    expect(formatInterval({ estimate: 1, low: -Infinity, high: Infinity, n: 1 }, 0)).toBe('1 [−∞, ∞]');
  });
});
