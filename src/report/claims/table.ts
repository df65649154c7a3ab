import { tableBlock, type ReportBlock } from '../html.js';
import type { ClaimCheck } from './claim.js';

/** The verdicts of a section as a table: claim, the paper's number, ours, parameters, verdict. */
export function claimsTable(checks: readonly ClaimCheck[]): ReportBlock {
  return tableBlock(['claim', "paper's number and setting", 'ours (seeds; budget)', 'parameters', 'verdict'],
    checks.map((c) => [c.verdict.claim, `${c.paper.kind ? `${c.paper.kind}: ` : ''}${c.paper.number} — ${c.paper.setting} (${c.paper.source})`, `${c.verdict.evidence} (${c.verdict.seeds} seed${c.verdict.seeds === 1 ? '' : 's'}; ${c.verdict.budget.tier}: ${c.verdict.budget.description})`, c.parameters ?? '–', `${c.verdict.outcome}: ${c.verdict.reason}`]),
    { caption: 'Each claim as the paper makes it, and the verdict computed from our per-seed numbers (mean ± 95 % t-interval for 3 or more seeds, min–max for 2).' });
}
