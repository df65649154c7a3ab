import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fields every analysis results.json has (written by `src/experiments/analysis-common.ts`). */
export interface ResultsHeader {
  experiment: string;
  mode: 'quick' | 'full';
  dataset: string;
  seed: number;
  seconds: number;
}

/** Read and check `results.json` of an analysis experiment folder; errors name the file and field. */
export function readResults<T extends object>(dir: string, experiment: string): ResultsHeader & T {
  const path = join(dir, 'results.json');
  if (!existsSync(path)) throw new Error(`${path}: not found — run \`skiplab experiment ${experiment}\` first`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const header = raw as Partial<ResultsHeader>;
  if (typeof raw !== 'object' || raw === null || header.experiment !== experiment) {
    throw new Error(`${path}: field 'experiment' is ${JSON.stringify(header?.experiment)}, expected '${experiment}'`);
  }
  return raw as ResultsHeader & T;
}

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)} %`);
export const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
export const meanOf = (values: readonly number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** "quick mode on fashion-mnist, 42 s" for section intros. */
export function runNote(r: ResultsHeader): string {
  return `Measured in ${r.mode} mode on ${r.dataset} (seed ${r.seed}) in ${Math.round(r.seconds)} s.`;
}
