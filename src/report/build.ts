import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../backend/select.js';
import { degradationResults } from '../experiments/degradation-results.js';
import { ExperimentStore } from '../experiments/store.js';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory } from '../train/run-store.js';
import { degradationSection } from './degradation-section.js';
import { runSection } from './run-section.js';
import { renderReport, type ReportSection } from './html.js';
import { analysisSection, hasAnalysisSection } from './sections/index.js';

/** Sections for one experiment folder, by the kind its spec declares. */
export async function experimentSections(store: ExperimentStore): Promise<ReportSection[]> {
  switch (store.spec.kind) {
    case 'degradation':
      return [await degradationSection(degradationResults(store), store.spec)];
    default:
      if (hasAnalysisSection(store.spec.kind)) return [await analysisSection(store.spec.kind, store.path)];
      throw new Error(`${store.path}: no report is defined for experiments of kind '${store.spec.kind}'`);
  }
}

function writeReport(path: string, title: string, subtitle: string, sections: ReportSection[], runs: number): string {
  const html = renderReport({
    title, subtitle, sections, generatedAt: new Date(),
    meta: [{ label: 'backend', value: getBackend().describe() }, { label: 'runs', value: String(runs) }],
  });
  writeFileAtomicSync(path, new TextEncoder().encode(html));
  return path;
}

/**
 * Build `report.html` for an experiment folder (or a single run folder) from the run store alone
 * (so it can be rebuilt any time) and return its path.
 */
export async function buildReport(experimentDir: string): Promise<string> {
  // A single run folder (config.json, no experiment.json) gets a report of its own.
  if (!existsSync(join(experimentDir, 'experiment.json')) && existsSync(join(experimentDir, 'config.json'))) {
    const run = new RunDirectory(experimentDir);
    return writeReport(join(experimentDir, 'report.html'), `skiplab — run ${experimentDir}`, 'One training run, from its run folder.', [await runSection(run)], 1);
  }
  const store = ExperimentStore.open(experimentDir);
  return writeReport(join(store.path, 'report.html'), `skiplab — ${store.spec.name}`, store.spec.description, await experimentSections(store), store.runs().length);
}

/** One report with a table of contents over several experiment folders (`experiment all`). */
export async function buildCombinedReport(experimentDirs: readonly string[], path: string, title = 'skiplab — why skip connections work'): Promise<string> {
  const sections: ReportSection[] = [];
  let runs = 0;
  for (const dir of experimentDirs) {
    const store = ExperimentStore.open(dir);
    sections.push(...(await experimentSections(store)));
    runs += store.runs().length;
  }
  return writeReport(path, title, 'Every explanation of skip connections in the seeds, measured: each section states its conclusion from the stored numbers.', sections, runs);
}
