/**
 * Summaries of a measurement repeated over seeds, for verdicts (DESIGN.md decision 8): the mean
 * with a 95 % Student-t interval when there are 3 or more seeds, the min–max range for 2, the
 * value alone for 1. Small seed counts are the rule here (3 to 5), so the t quantiles are exact,
 * not the normal approximation (t₀.₉₇₅ is 4.30 for 3 seeds, against 1.96).
 */

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error < 1e-14). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: degrees of freedom must be positive, got ${df}`);
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile t_p of Student's t with `df` degrees of freedom (exact to ~1e-12, by bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: probability must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (df === 1) return Math.tan(Math.PI * (p - 0.5)); // Cauchy: closed form, and its tail is too heavy for a fixed bracket
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-13 * Math.max(1, high); i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** How a seed summary's interval was made: Student t over seeds, the seeds' range, or one seed (no interval). */
export type IntervalMethod = 't-interval' | 'min-max' | 'single';

/** A measurement over seeds: its mean and an interval for it. */
export interface SeedSummary {
  /** Number of seeds. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN for one seed. */
  sd: number;
  low: number;
  high: number;
  /** How [low, high] was made: the 95 % t-interval (n ≥ 3), min–max (n = 2), the value itself (n = 1). */
  method: IntervalMethod;
  /** The confidence of a t-interval (0.95 by default); null for the other methods. */
  confidence: number | null;
}

/**
 * Mean and interval of one measurement over seeds: mean ± t_{(1+c)/2, n−1} · sd / √n for n ≥ 3,
 * the min–max range for n = 2 (a t-interval from 2 values spans ±12.7 sd and says little), the
 * value for n = 1. Non-finite values are an error naming their position.
 *
 * @example summarizeSeeds([0.12, 0.14, 0.13]) // { mean: 0.13, low: 0.105…, high: 0.154…, method: 't-interval' }
 */
export function summarizeSeeds(values: readonly number[], options: { confidence?: number } = {}): SeedSummary {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`summarizeSeeds: confidence must be in (0, 1), got ${confidence}`);
  const n = values.length;
  if (n === 0) throw new Error('summarizeSeeds: no values (a verdict needs at least one seed)');
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`summarizeSeeds: value ${bad} is ${values[bad]}, not a finite number`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  if (n === 1) return { n, mean, sd, low: mean, high: mean, method: 'single', confidence: null };
  if (n === 2) return { n, mean, sd, low: Math.min(...values), high: Math.max(...values), method: 'min-max', confidence: null };
  const half = (studentTQuantile((1 + confidence) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half, method: 't-interval', confidence };
}

/** How values print: multiplied by `scale` (100 for fractions shown as percent), `digits` decimals, then `unit`. */
export interface ValueFormat {
  scale?: number;
  digits?: number;
  unit?: string;
}

/** One value as text, e.g. formatValue(0.1234, { scale: 100, digits: 1, unit: ' %' }) → "12.3 %". */
export function formatValue(value: number, options: ValueFormat = {}): string {
  return `${(value * (options.scale ?? 1)).toFixed(options.digits ?? 2)}${options.unit ?? ''}`;
}

/**
 * A summary as text: "12.3 ± 0.4 %" for a t-interval, "12.3 % (12.1–12.6)" for min–max,
 * "12.3 %" for one seed. `scale` multiplies the values (100 for fractions shown as percent).
 */
export function formatSummary(summary: SeedSummary, options: ValueFormat = {}): string {
  const unit = options.unit ?? '';
  const f = (v: number) => formatValue(v, { ...options, unit: '' });
  switch (summary.method) {
    case 't-interval': return `${f(summary.mean)} ± ${f((summary.high - summary.low) / 2)}${unit}`;
    case 'min-max': return `${f(summary.mean)}${unit} (${f(summary.low)}–${f(summary.high)})`;
    case 'single': return `${f(summary.mean)}${unit}`;
    default: {
      const never: never = summary.method;
      throw new Error(`formatSummary: unknown method ${String(never)}`);
    }
  }
}

/** How the interval of a summary was made, for a sentence: "95 % t-interval over 3 seeds". */
export function describeInterval(summary: SeedSummary): string {
  const seeds = `${summary.n} seed${summary.n === 1 ? '' : 's'}`;
  switch (summary.method) {
    case 't-interval': return `mean ± ${Math.round(summary.confidence! * 100)} % t-interval over ${seeds}`;
    case 'min-max': return `mean (min–max) over ${seeds}`;
    case 'single': return `${seeds}, no interval`;
    default: {
      const never: never = summary.method;
      throw new Error(`describeInterval: unknown method ${String(never)}`);
    }
  }
}
