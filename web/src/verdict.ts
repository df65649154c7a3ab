/**
 * The lab's verdicts, computed from the numbers a preset measured — never written in advance
 * (DESIGN.md decision 8). A claim predicts an effect of at least some size in one direction; the
 * measured effect comes with a 95 % interval over the units a preset has (batches, test images,
 * lesioned blocks, slice directions, layers), and the verdict is one of the reports' three:
 *
 * - supported:    the interval excludes zero on the claim's side and the estimate reaches the
 *                 smallest effect the claim means;
 * - contradicted: the whole interval lies below that smallest effect (the effect is absent,
 *                 too small, or reversed);
 * - inconclusive: anything else (too few units, too much noise).
 *
 * The interval is over units within one run per setting, so it says how sure the number is for
 * this seed, not how much another seed would move it.
 */

export type Outcome = 'supported' | 'contradicted' | 'inconclusive';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  /** Units the interval is over. */
  n: number;
}

// Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The two-sided 95 % quantile of Student's t with `df` degrees of freedom. */
export function t95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`t95: degrees of freedom must be a whole number ≥ 1, got ${df}`);
  if (df <= 30) return T95[df - 1]!;
  // Beyond 30 the quantile approaches 1.96 as 1.96 + 2.4/df (within 0.002 of the exact value).
  return 1.96 + 2.4 / df;
}

/** Mean with its 95 % t-interval; one value gives an unbounded interval. */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new Error('meanInterval: no values');
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`meanInterval: non-finite value among ${values.join(', ')}`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { estimate: mean, low: -Infinity, high: Infinity, n };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const half = t95(n - 1) * Math.sqrt(variance / n);
  return { estimate: mean, low: mean - half, high: mean + half, n };
}

/** The mean of a − b over paired units (the same batch, image, block or direction), with its interval. */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} values against ${b.length}`);
  return meanInterval(a.map((v, i) => v - b[i]!));
}

/** The verdict on an effect oriented so that positive means "as the claim says". */
export function judge(effect: Interval, minimumEffect: number): Outcome {
  if (!(minimumEffect >= 0)) throw new Error(`judge: the smallest effect must be ≥ 0, got ${minimumEffect}`);
  if (effect.low > 0 && effect.estimate >= minimumEffect) return 'supported';
  if (effect.high < minimumEffect) return 'contradicted';
  return 'inconclusive';
}

export interface Check {
  /** What the paper claims, in one sentence. */
  claim: string;
  /** What was measured, a sentence built from the numbers. */
  measured: string;
  effect: Interval;
  minimumEffect: number;
  outcome: Outcome;
  /** Why the setting cannot decide the claim whatever the numbers (then the outcome is inconclusive). */
  undecided?: string;
}

/** A check: the claim, the measured effect and the smallest effect that counts; the outcome follows. */
export function check(claim: string, effect: Interval, minimumEffect: number, measured: string): Check {
  return { claim, measured, effect, minimumEffect, outcome: judge(effect, minimumEffect) };
}

/**
 * A check the setting cannot decide, whatever the numbers (a net shallower than the depth the
 * paper's claim is about): inconclusive, with the measured numbers kept and `why` added.
 */
export function undecided(c: Check, why: string): Check {
  return { ...c, outcome: 'inconclusive', undecided: why, measured: `${c.measured} Not decided: ${why}.` };
}

/** A preset's verdict: all its checks supported → supported; any contradicted → contradicted. */
export function overall(checks: readonly Check[]): Outcome {
  if (checks.length === 0) throw new Error('overall: a verdict needs at least one check');
  if (checks.some((c) => c.outcome === 'contradicted')) return 'contradicted';
  return checks.every((c) => c.outcome === 'supported') ? 'supported' : 'inconclusive';
}

/** "0.42 [0.31, 0.53]" with `digits` decimals, for the sentences. */
export function formatInterval(i: Interval, digits = 2, scale = 1): string {
  const f = (v: number): string => (Number.isFinite(v) ? (v * scale).toFixed(digits) : v > 0 ? '∞' : '−∞');
  return `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]`;
}
