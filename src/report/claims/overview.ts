import { degradationResultsSchema } from '../../experiments/results/degradation.js';
import type { ExperimentStore } from '../../experiments/store.js';
import { paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { readResults } from '../sections/common.js';
import { analysisClaims, hasAnalysisSection } from '../sections/index.js';
import { calibrationOfKind, calibrationSummary, loadCalibration, type LoadedCalibration } from './calibration.js';
import type { ClaimCheck } from './claim.js';
import { degradationClaims } from './degradation.js';

/** The claim checks of one experiment folder, by the kind its spec declares (none for plain training sweeps). */
export function experimentClaims(store: ExperimentStore, calibration: LoadedCalibration | null = loadCalibration(store)): ClaimCheck[] {
  if (store.spec.kind === 'degradation') return degradationClaims(readResults(store.path, store.spec.name, degradationResultsSchema), calibrationOfKind(calibration, 'degradation'));
  if (hasAnalysisSection(store.spec.kind)) return analysisClaims(store.spec.kind, store.path, calibration);
  return [];
}

/**
 * The combined report's opening section: one row per claim — the paper's number and setting,
 * ours (mean ± interval, seeds, budget), PyTorch's for the same recipe, and the verdict.
 */
export function claimsOverview(stores: readonly ExperimentStore[]): ReportSection {
  const rows = stores.flatMap((store) => {
    const calibration = loadCalibration(store);
    const reference = calibrationSummary(calibration);
    return experimentClaims(store, calibration).map((c) => [
      `${c.verdict.claim} [${c.experiment}]`,
      `${c.paper.kind ? `${c.paper.kind}: ` : ''}${c.paper.number} — ${c.paper.setting} (${c.paper.source})`,
      `${c.verdict.evidence} (${c.verdict.seeds} seed${c.verdict.seeds === 1 ? '' : 's'}; ${c.verdict.budget.tier}: ${c.verdict.budget.description})${c.parameters ? `; parameters ${c.parameters}` : ''}`,
      reference,
      `${c.verdict.outcome}: ${c.verdict.reason}`,
    ]);
  });
  const count = (outcome: string) => rows.filter((r) => String(r[4]).startsWith(`${outcome}:`)).length;
  return {
    id: 'claims',
    title: 'Claims at a glance',
    conclusion: rows.length === 0 ? 'No experiment here checks a claim.' : `${rows.length} claim${rows.length === 1 ? '' : 's'} checked: ${count('supported')} supported, ${count('contradicted')} contradicted, ${count('inconclusive')} inconclusive at their budget.`,
    blocks: [
      paragraphBlock('Each row is a claim as its paper makes it, the paper\'s own number and setting, ours from the stored per-seed numbers (mean ± 95 % t-interval for 3 or more seeds, mean with min–max for 2, the value alone for 1), PyTorch\'s for the same nets, recipe, data and seeds once a calibration file exists, and the verdict computed from ours. Papers\' numbers are on their own data sets and budgets: read the setting column before comparing levels.'),
      tableBlock(['claim', "paper's number and setting", 'ours (mean ± interval; seeds; budget)', 'PyTorch reference', 'verdict'], rows),
    ],
  };
}
