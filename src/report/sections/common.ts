import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { ReportSection } from '../html.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import { UserInputError } from '../../util/errors.js';
import { describeIssues } from '../../util/zod-issues.js';

/** A results.json that is missing, not JSON, or does not match its experiment's schema (the message names the field). */
export class ResultsError extends UserInputError {
  override name = 'ResultsError';
}

/**
 * Read `results.json` of an experiment folder and check it against the experiment's schema, the
 * one its writer used: a file edited by hand or left by another version is refused, naming the
 * file and the field.
 */
export function readResults<S extends z.ZodType>(dir: string, experiment: string, schema: S): z.output<S> {
  const path = join(dir, 'results.json');
  if (!existsSync(path)) throw new ResultsError(`${path}: not found — run \`skiplab experiment ${experiment}\` first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ResultsError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const found = (raw as { experiment?: unknown } | null)?.experiment;
  if (found !== experiment) throw new ResultsError(`${path}: field 'experiment' is ${JSON.stringify(found)}, expected '${experiment}'`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ResultsError(`${path} does not match the ${experiment} results schema: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)} %`);
export const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
export const meanOf = (values: readonly (number | null)[]): number => {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
};

/** "Measured in quick mode on fashion-mnist (seed 0); the measurements took 42 s." for section intros. */
export function runNote(header: AnalysisResultsHeader, seed: number): string {
  return `Measured in ${header.mode} mode on ${header.dataset} (seed ${seed}); the measurements took ${Math.round(header.seconds)} s in all.`;
}

/** A seed's part of an analysis section: its figures and tables (the verdicts are over all seeds, so it has no conclusion). */
export type SeedSection = Omit<ReportSection, 'conclusion'>;
