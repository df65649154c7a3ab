import { describeInterval, formatSummary, formatValue, summarizeSeeds, type SeedSummary, type ValueFormat } from './statistics.js';

/**
 * Verdicts computed from stored numbers (DESIGN.md decision 8): every claim an experiment checks
 * ends supported, contradicted, or inconclusive at this budget — never fixed text. A comparison
 * is decided only when the seeds' intervals are separated (by more than a margin, when the claim
 * allows one); overlapping intervals, or too few seeds, leave it inconclusive.
 */

export type VerdictOutcome = 'supported' | 'contradicted' | 'inconclusive';

/** The budget a verdict was reached at, so the sentence can say what a longer run might change. */
export interface VerdictBudget {
  /** The tier the numbers come from ('quick', 'standard', 'full'). */
  tier: string;
  /** What was run, in words: "4 epochs on 60,000 official Fashion-MNIST images". */
  description: string;
}

/** A verdict and the parts of its sentence. */
export interface Verdict {
  outcome: VerdictOutcome;
  /** The claim as the paper makes it: "plain-56 trains to a higher error than plain-20". */
  claim: string;
  /** The numbers that decided it: "13.1 ± 0.6 % vs 9.8 ± 0.4 %". */
  evidence: string;
  /** Why this outcome, in words: "the intervals are separated", "they overlap". */
  reason: string;
  /** Fewest seeds behind any number in the evidence. */
  seeds: number;
  budget: VerdictBudget;
}

/** One side of a comparison: a name and its values over seeds. */
export interface Measured {
  label: string;
  values: readonly number[];
  /**
   * A fixed reference rather than a measurement (a paper's number, a threshold, the value the
   * path-length distribution alone predicts): one value with no interval, not counted as seeds.
   */
  exact?: boolean;
}

/** A fixed reference value as a side of a comparison. */
export const reference = (label: string, value: number): Measured => ({ label, values: [value], exact: true });

function summaryOf(side: Measured, confidence: number | undefined): SeedSummary {
  if (!side.exact) return summarizeSeeds(side.values, { confidence });
  if (side.values.length !== 1 || !Number.isFinite(side.values[0])) throw new Error(`comparison: reference '${side.label}' must be one finite value, got ${JSON.stringify(side.values)}`);
  const v = side.values[0]!;
  return { n: Infinity, mean: v, sd: 0, low: v, high: v, method: 'single', confidence: null };
}

/** How strict a comparison of two seed summaries is. */
export interface ComparisonOptions {
  /**
   * The smallest difference that counts, in the values' units: "a above b" needs a − b > margin
   * everywhere on the intervals; "a at or below b" allows a to exceed b by up to the margin.
   */
  margin?: number;
  /** Fewer seeds than this on either side make the comparison inconclusive (default 2). */
  minSeeds?: number;
  confidence?: number;
  /** How to print the values in the evidence (default: percent of a fraction, one decimal). */
  format?: ValueFormat;
}

/** The outcome of comparing a with b over seeds, with the difference interval and the evidence in words. */
export interface Comparison {
  outcome: VerdictOutcome;
  a: SeedSummary;
  b: SeedSummary;
  /** The range of a − b the two intervals allow: [a.low − b.high, a.high − b.low]. */
  difference: { low: number; high: number };
  margin: number;
  reason: string;
  evidence: string;
}

const PERCENT = { scale: 100, digits: 1, unit: ' %' };

function prepare(a: Measured, b: Measured, options: ComparisonOptions) {
  const margin = options.margin ?? 0;
  if (!(margin >= 0)) throw new RangeError(`comparison: margin must be ≥ 0, got ${margin}`);
  if (a.exact && b.exact) throw new Error(`comparison: '${a.label}' and '${b.label}' are both fixed references; one side must be measured`);
  const sa = summaryOf(a, options.confidence);
  const sb = summaryOf(b, options.confidence);
  const format = options.format ?? PERCENT;
  const evidence = `${a.label} ${formatSummary(sa, format)} vs ${b.label} ${formatSummary(sb, format)} (${describeInterval(sa.n <= sb.n ? sa : sb)})`;
  const difference = { low: sa.low - sb.high, high: sa.high - sb.low };
  const tooFew = Math.min(sa.n, sb.n) < (options.minSeeds ?? 2);
  const marginText = margin > 0 ? ` by more than ${formatValue(margin, format)}` : '';
  return { sa, sb, margin, evidence, difference, tooFew, marginText };
}

/**
 * Is `a` above `b` (by more than `margin`)? Supported when the intervals are separated with a
 * above: a.low − b.high > margin; contradicted when even the most favourable reading is not:
 * a.high − b.low ≤ margin; inconclusive in between, or with too few seeds.
 *
 * @example compareAbove({ label: 'plain-56', values: [0.14, 0.15, 0.16] }, { label: 'plain-20', values: [0.08, 0.09, 0.1] }).outcome // 'supported'
 */
export function compareAbove(a: Measured, b: Measured, options: ComparisonOptions = {}): Comparison {
  const { sa, sb, margin, evidence, difference, tooFew, marginText } = prepare(a, b, options);
  let outcome: VerdictOutcome;
  let reason: string;
  if (tooFew) {
    outcome = 'inconclusive';
    reason = `fewer than ${options.minSeeds ?? 2} seeds on one side`;
  } else if (difference.low > margin) {
    outcome = 'supported';
    reason = `the intervals are separated: ${a.label} is above ${b.label}${marginText}`;
  } else if (difference.high <= margin) {
    outcome = 'contradicted';
    reason = margin > 0 ? `${a.label} is not above ${b.label}${marginText} anywhere on the intervals` : `the intervals are separated the other way: ${a.label} is at or below ${b.label}`;
  } else {
    outcome = 'inconclusive';
    reason = 'the intervals overlap';
  }
  return { outcome, a: sa, b: sb, difference, margin, reason, evidence };
}

/**
 * Is `a` at or below `b` (allowing a to exceed b by up to `margin`)? The complement of
 * `compareAbove`: supported when a.high − b.low ≤ margin, contradicted when a.low − b.high > margin.
 */
export function compareAtOrBelow(a: Measured, b: Measured, options: ComparisonOptions = {}): Comparison {
  const above = compareAbove(a, b, options);
  const within = above.margin > 0 ? ` within ${formatValue(above.margin, options.format ?? PERCENT)}` : '';
  switch (above.outcome) {
    case 'supported': return { ...above, outcome: 'contradicted', reason: above.reason };
    case 'contradicted': return { ...above, outcome: 'supported', reason: `${a.label} is at or below ${b.label}${within} everywhere on the intervals` };
    case 'inconclusive': return above;
    default: {
      const never: never = above.outcome;
      throw new Error(`compareAtOrBelow: unknown outcome ${String(never)}`);
    }
  }
}

/**
 * Does `a` reproduce `reference` (another implementation's seeds of the same recipe)? Supported
 * when a's mean lies inside the reference's seed range widened by `margin`; contradicted when the
 * two intervals are separated by more than `margin`; inconclusive in between, or with too few seeds.
 */
export function compareInsideRange(a: Measured, reference: Measured, options: ComparisonOptions = {}): Comparison {
  const { sa, sb, margin, evidence, difference, tooFew } = prepare(a, reference, options);
  const format = options.format ?? PERCENT;
  const values = reference.values.filter((v) => Number.isFinite(v));
  const [low, high] = [Math.min(...values) - margin, Math.max(...values) + margin];
  const widened = margin > 0 ? ` widened by ${formatValue(margin, format)}` : '';
  let outcome: VerdictOutcome;
  let reason: string;
  if (tooFew) {
    outcome = 'inconclusive';
    reason = `fewer than ${options.minSeeds ?? 2} seeds on one side`;
  } else if (difference.low > margin || difference.high < -margin) {
    outcome = 'contradicted';
    reason = `the intervals are separated by more than ${formatValue(margin, format)}`;
  } else if (sa.mean >= low && sa.mean <= high) {
    outcome = 'supported';
    reason = `${a.label}'s mean lies inside ${reference.label}'s seed range${widened}`;
  } else {
    outcome = 'inconclusive';
    reason = `${a.label}'s mean lies outside ${reference.label}'s seed range${widened}, but the intervals overlap`;
  }
  return { outcome, a: sa, b: sb, difference, margin, reason, evidence };
}

/** A verdict from a comparison: the claim, the numbers, why, the seed count and the budget. */
export function verdictFrom(claim: string, comparison: Comparison, budget: VerdictBudget): Verdict {
  return { outcome: comparison.outcome, claim, evidence: comparison.evidence, reason: comparison.reason, seeds: Math.min(comparison.a.n, comparison.b.n), budget };
}

/**
 * A claim made of parts that must all hold ("plain-56 is above plain-20 AND ResNet-56 is at or
 * below ResNet-20"): contradicted if any part is, supported if every part is, else inconclusive.
 */
export function allOf(claim: string, parts: readonly Verdict[]): Verdict {
  if (parts.length === 0) throw new Error('allOf: a claim needs at least one part');
  const outcome: VerdictOutcome = parts.some((p) => p.outcome === 'contradicted') ? 'contradicted' : parts.every((p) => p.outcome === 'supported') ? 'supported' : 'inconclusive';
  const deciding = parts.filter((p) => p.outcome === outcome);
  return {
    outcome,
    claim,
    evidence: parts.map((p) => p.evidence).join('; '),
    reason: outcome === 'inconclusive' ? `not decided: ${parts.filter((p) => p.outcome === 'inconclusive').map((p) => `${p.claim} (${p.reason})`).join('; ')}` : deciding.map((p) => p.reason).join('; '),
    seeds: Math.min(...parts.map((p) => p.seeds)),
    budget: parts[0]!.budget,
  };
}

/**
 * A verdict the setting cannot decide, whatever the numbers (a net shallower than the paper's
 * claim is about, eigenvalue estimates whose residuals are large): inconclusive with `why` added
 * to the reason. Unchanged when `decidable`.
 */
export function decidableOnlyIf(verdict: Verdict, decidable: boolean, why: string): Verdict {
  if (decidable || verdict.outcome === 'inconclusive') return decidable ? verdict : { ...verdict, reason: `${verdict.reason}; ${why}` };
  return { ...verdict, outcome: 'inconclusive', reason: `${verdict.reason}, but ${why}` };
}

const OUTCOME_WORDS: Record<VerdictOutcome, string> = {
  supported: 'Supported',
  contradicted: 'Contradicted',
  inconclusive: 'Inconclusive at this budget',
};

/**
 * The verdict as one sentence, outcome first, with seed count and budget:
 * "Supported (3 seeds; standard: 4 epochs on 60,000 images): plain-56 … — plain-56 13.1 ± 0.6 % vs …; the intervals are separated."
 */
export function verdictSentence(verdict: Verdict): string {
  const seeds = `${verdict.seeds} seed${verdict.seeds === 1 ? '' : 's'}`;
  return `${OUTCOME_WORDS[verdict.outcome]} (${seeds}; ${verdict.budget.tier}: ${verdict.budget.description}): ${verdict.claim} — ${verdict.evidence}; ${verdict.reason}.`;
}
