import { join } from 'node:path';
import type { ReportSection } from '../html.js';
import { featureReuseSection } from './feature-reuse.js';
import { gradientFlowSection } from './gradient-flow.js';
import { highwayGatesSection } from './highway-gates.js';
import { identityConstructionSection } from './identity-construction.js';
import { landscapeSection } from './landscape.js';
import { lesionSection } from './lesion.js';
import { pathsSection } from './paths.js';
import { representationsSection } from './representations.js';
import { transformerResidualSection } from './transformer-residual.js';
import { unetSkipsSection } from './unet-skips.js';

/** Report section builders of the analysis experiments, by experiment kind (= name). */
const builders: Record<string, (dir: string) => Promise<ReportSection>> = {
  'gradient-flow': gradientFlowSection,
  paths: pathsSection,
  lesion: lesionSection,
  landscape: landscapeSection,
  representations: representationsSection,
  'feature-reuse': featureReuseSection,
  'highway-gates': highwayGatesSection,
  'unet-skips': unetSkipsSection,
  'transformer-residual': transformerResidualSection,
  'identity-construction': identityConstructionSection,
};

/** Whether `kind` (an experiment spec's kind) is one of the analysis experiments. */
export function hasAnalysisSection(kind: string): boolean {
  return kind in builders;
}

/**
 * The report section of an analysis experiment folder (`<store>/<name>-<mode>/`), built from its
 * results.json alone.
 *
 * @example const section = await analysisSection('lesion', 'runs/lesion-quick');
 */
export async function analysisSection(kind: string, experimentDir: string): Promise<ReportSection> {
  const build = builders[kind];
  if (!build) throw new Error(`${join(experimentDir, 'experiment.json')}: no analysis report section for kind '${kind}' (known: ${Object.keys(builders).join(', ')})`);
  return build(experimentDir);
}
