import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../backend/select.js';
import { degradationResultsSchema } from '../experiments/results/degradation.js';
import { ExperimentStore } from '../experiments/store.js';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory } from '../train/run-store.js';
import { degradationSection } from './degradation-section.js';
import { calibrationOfKind, loadCalibration } from './claims/calibration.js';
import { claimsOverview } from './claims/overview.js';
import { runSection } from './run-section.js';
import { renderReport, type ReportSection } from './html.js';
import { readResults, ResultsError } from './sections/common.js';
import { analysisSection, hasAnalysisSection } from './sections/index.js';

/** Sections for one experiment folder, by the kind its spec declares. */
export async function experimentSections(store: ExperimentStore): Promise<ReportSection[]> {
  switch (store.spec.kind) {
    case 'degradation':
      return [await degradationSection(readResults(store.path, store.spec.name, degradationResultsSchema), store.spec, calibrationOfKind(loadCalibration(store), 'degradation'))];
    case 'training':
      // A plain sweep: each run's curves and final numbers, in the spec's order (runs not started yet are left out).
      return Promise.all(store.runs().map((r) => store.runDirectory(r)).filter((run) => existsSync(run.configPath)).map(runSection));
    default:
      if (hasAnalysisSection(store.spec.kind)) return [await analysisSection(store.spec.kind, store.path, loadCalibration(store))];
      throw new ResultsError(`${store.path}: no report is defined for experiments of kind '${store.spec.kind}'`);
  }
}

function writeReport(path: string, title: string, subtitle: string, sections: ReportSection[], experiments: number): string {
  const html = renderReport({
    title, subtitle, sections, generatedAt: new Date(),
    meta: [{ label: 'backend', value: getBackend().describe() }, { label: 'experiments', value: String(experiments) }],
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
  return writeReport(join(store.path, 'report.html'), `skiplab — ${store.spec.name}`, store.spec.description, await experimentSections(store), 1);
}

/** One report with a table of contents over several experiment folders (`experiment all`). */
export async function buildCombinedReport(experimentDirs: readonly string[], path: string, title = 'skiplab — why skip connections work'): Promise<string> {
  const stores = experimentDirs.map((dir) => ExperimentStore.open(dir));
  const sections: ReportSection[] = [claimsOverview(stores)];
  for (const store of stores) sections.push(...(await experimentSections(store)));
  return writeReport(path, title, 'Every explanation of skip connections in the seeds, measured: the opening table puts each paper\'s claim beside our verdict, computed from the stored numbers.', sections, experimentDirs.length);
}
