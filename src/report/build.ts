import { join } from 'node:path';
import { getBackend } from '../backend/select.js';
import { degradationResults } from '../experiments/degradation-results.js';
import { ExperimentStore } from '../experiments/store.js';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { degradationSection } from './degradation-section.js';
import { renderReport, type ReportSection } from './html.js';

/** Sections for one experiment folder, by the kind its spec declares. */
export async function experimentSections(store: ExperimentStore): Promise<ReportSection[]> {
  switch (store.spec.kind) {
    case 'degradation':
      return [await degradationSection(degradationResults(store), store.spec)];
    default:
      throw new Error(`${store.path}: no report is defined for experiments of kind '${store.spec.kind}'`);
  }
}

/**
 * Build `report.html` for an experiment folder from the run store alone (so it can be rebuilt
 * any time) and return its path.
 */
export async function buildReport(experimentDir: string): Promise<string> {
  const store = ExperimentStore.open(experimentDir);
  const sections = await experimentSections(store);
  const html = renderReport({
    title: `skiplab — ${store.spec.name}`,
    subtitle: store.spec.description,
    sections,
    generatedAt: new Date(),
    meta: [{ label: 'backend', value: getBackend().describe() }, { label: 'runs', value: String(store.runs().length) }],
  });
  const path = join(store.path, 'report.html');
  writeFileAtomicSync(path, new TextEncoder().encode(html));
  return path;
}
