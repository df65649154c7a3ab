import { describe, expect, it } from 'vitest';
import { describeInterval, formatSummary, regularizedIncompleteBeta, studentTCdf, studentTQuantile, summarizeSeeds } from '../../src/analysis/statistics.js';

describe("Student's t", () => {
  it('has the tabulated two-sided 95 % quantiles for small and large df', () => {
    // Reference values (R's qt(0.975, df)).
    const table: [number, number][] = [[1, 12.706204736], [2, 4.302652730], [3, 3.182446305], [4, 2.776445105], [9, 2.262157163], [29, 2.045229642], [1000, 1.962339081]];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 8);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032142984, 8);
    expect(studentTQuantile(0.025, 3)).toBeCloseTo(-3.182446305, 8);
  });

  it('has the CDF the quantile inverts, and I_x(a, b) of known cases', () => {
    expect(studentTCdf(2.228138852, 10)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(0, 7)).toBe(0.5);
    expect(studentTCdf(-1, 1)).toBeCloseTo(0.25, 12); // Cauchy: 1/2 + atan(t)/π
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12); // uniform
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(0.6875, 12);
  });

  it('rejects impossible arguments by name', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/probability must be in \(0, 1\), got 1/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom must be positive, got 0/);
  });
});

describe('summarizeSeeds', () => {
  it('gives mean ± t·sd/√n for 3 or more seeds', () => {
    const s = summarizeSeeds([1, 2, 3]);
    expect(s).toMatchObject({ n: 3, mean: 2, sd: 1, method: 't-interval', confidence: 0.95 });
    expect(s.high - s.mean).toBeCloseTo(4.302652730 / Math.sqrt(3), 8);
    expect(s.low).toBeCloseTo(2 - 2.484138, 5);
    expect(summarizeSeeds([1, 2, 3], { confidence: 0.99 }).high).toBeCloseTo(2 + 9.924843201 / Math.sqrt(3), 7);
  });

  it('gives min–max for 2 seeds and the value for 1', () => {
    expect(summarizeSeeds([0.3, 0.1])).toMatchObject({ n: 2, mean: 0.2, low: 0.1, high: 0.3, method: 'min-max' });
    const one = summarizeSeeds([0.25]);
    expect(one).toMatchObject({ n: 1, mean: 0.25, low: 0.25, high: 0.25, method: 'single' });
    expect(Number.isNaN(one.sd)).toBe(true);
  });

  it('refuses no values and non-finite values, naming the position', () => {
    expect(() => summarizeSeeds([])).toThrow(/no values/);
    expect(() => summarizeSeeds([0.1, NaN])).toThrow(/value 1 is NaN/);
  });

  it('prints each kind of interval and says how it was made', () => {
    const percent = { scale: 100, digits: 1, unit: ' %' };
    expect(formatSummary(summarizeSeeds([0.14, 0.15, 0.16]), percent)).toBe('15.0 ± 2.5 %');
    expect(formatSummary(summarizeSeeds([0.2, 0.21]), percent)).toBe('20.5 % (20.0–21.0)');
    expect(formatSummary(summarizeSeeds([0.2]), percent)).toBe('20.0 %');
    expect(describeInterval(summarizeSeeds([1, 2, 3]))).toBe('mean ± 95 % t-interval over 3 seeds');
    expect(describeInterval(summarizeSeeds([1, 2]))).toBe('mean (min–max) over 2 seeds');
    expect(describeInterval(summarizeSeeds([1]))).toBe('1 seed, no interval');
  });
});
