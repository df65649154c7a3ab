import { verdictFrom, verdictSentence, type Comparison, type ComparisonOptions, type Measured, type Verdict, type VerdictBudget } from '../../analysis/verdict.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';

/**
 * A paper's claim checked against our numbers: what the paper reports (its number, or that it
 * gives none, with its setting and where), and the verdict computed from our stored per-seed
 * measurements. Report text quotes the paper only through `paper`; whether we agree is
 * `verdict.outcome`, never fixed text.
 */
export interface ClaimCheck {
  /** The experiment that measured it ('lesion', 'degradation', …). */
  experiment: string;
  paper: {
    /** The paper's number, or what it shows when it gives none ("qualitative: Fig. 7 colour map"). */
    number: string;
    /** The paper's setting: net, data. */
    setting: string;
    /** Where: paper, section, figure or table. */
    source: string;
    /** What the reference is, when it is not a paper ("PyTorch reference"). */
    kind?: string;
  };
  verdict: Verdict;
  /** Parameter counts of the compared models ("ResNet-20 272,474 · plain-20 272,474"), when it compares models. */
  parameters: string | null;
}

/** The budget of an analysis experiment's verdicts: its tier and what the measured models were trained with. */
export function analysisBudget(header: AnalysisResultsHeader): VerdictBudget {
  return { tier: header.mode, description: `${header.budget}; ${header.dataset}` };
}

/** "ResNet-20 272,474 · plain-20 272,474": parameter counts, the same for every seed (else a range). */
export function parameterText(models: readonly { name: string; counts: readonly (number | null)[] }[]): string {
  return models.map(({ name, counts }) => {
    const known = counts.filter((c): c is number => c !== null);
    if (known.length === 0) return `${name} –`;
    const [low, high] = [Math.min(...known), Math.max(...known)];
    return `${name} ${low.toLocaleString('en')}${high === low ? '' : `–${high.toLocaleString('en')}`}`;
  }).join(' · ');
}

/** The sentence of a check: the verdict, with the paper's number beside it and the parameter counts. */
export function claimSentence(check: ClaimCheck): string {
  const sentence = verdictSentence(check.verdict);
  const paper = ` ${check.paper.kind ?? "Paper's claim"} (${check.paper.source}; ${check.paper.setting}): ${check.paper.number}.`;
  return `${sentence}${paper}${check.parameters ? ` Parameters: ${check.parameters}.` : ''}`;
}

/** Mean of the finite values, NaN when there are none. */
export function finiteMean(values: readonly (number | null | undefined)[]): number {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

/** The finite numbers of a list (one per seed), dropping seeds where the measurement failed. */
/** A margin given as a fraction, in percentage points: 0.01 → "1 point", 0.05 → "5 points". */
export const points = (fraction: number): string => {
  const value = Number((fraction * 100).toFixed(6));
  return `${value} point${value === 1 ? '' : 's'}`;
};

export const finite = (values: readonly number[]): number[] => values.filter((v) => Number.isFinite(v));

/** The last element of a list (the final epoch's), or undefined. */
export const lastOf = <T>(values: readonly T[]): T | undefined => values[values.length - 1];

/**
 * The verdict of `compare(a, b)` over the seeds whose measurement is finite; inconclusive, saying
 * so, when a side has no finite value at all (a diverged run, a failed measurement).
 */
export function verdictOf(claim: string, budget: VerdictBudget, compare: (a: Measured, b: Measured, options: ComparisonOptions) => Comparison, a: Measured, b: Measured, options: ComparisonOptions = {}): Verdict {
  const [fa, fb] = [a, b].map((side) => (side.exact ? side : { ...side, values: side.values.filter((v) => Number.isFinite(v)) }));
  const empty = [fa!, fb!].find((side) => side.values.length === 0);
  if (empty) return { outcome: 'inconclusive', claim, evidence: `no finite value of ${empty.label}`, reason: 'nothing was measured to decide it', seeds: 0, budget };
  return verdictFrom(claim, compare(fa!, fb!, options), budget);
}
