import { join } from 'node:path';
import type { z } from 'zod';
import type { AnalysisExperimentName } from '../../experiments/analysis/index.js';
import { featureReuseResultsSchema } from '../../experiments/results/feature-reuse.js';
import { gradientFlowResultsSchema } from '../../experiments/results/gradient-flow.js';
import type { AnalysisResultsHeader, WeightsSource } from '../../experiments/results/header.js';
import { highwayGatesResultsSchema } from '../../experiments/results/highway-gates.js';
import { identityConstructionResultsSchema } from '../../experiments/results/identity-construction.js';
import { landscapeResultsSchema } from '../../experiments/results/landscape.js';
import { lesionResultsSchema } from '../../experiments/results/lesion.js';
import { pathsResultsSchema } from '../../experiments/results/paths.js';
import { representationsResultsSchema } from '../../experiments/results/representations.js';
import { transformerResidualResultsSchema } from '../../experiments/results/transformer-residual.js';
import { unetSkipsResultsSchema } from '../../experiments/results/unet-skips.js';
import { paragraphBlock, tableBlock, type ReportBlock, type ReportSection } from '../html.js';
import { ANALYSIS_CLAIMS, claimSentence, claimsTable, type AnalysisResultsOf, type ClaimCheck } from '../claims/index.js';
import type { LoadedCalibration } from '../claims/calibration.js';
import { readResults, ResultsError, type SeedSection } from './common.js';
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

type AnyResults = AnalysisResultsHeader & { seeds: { seed: number }[] };

/**
 * The section of one analysis experiment, from its results.json alone (checked against the
 * experiment's schema, the writer's): the verdicts over every seed first (computed by the
 * experiment's claim checks, with its PyTorch calibration if any), then each seed's figures and tables.
 */
function sectionOf<K extends AnalysisExperimentName, S extends z.ZodType<AnyResults & AnalysisResultsOf[K]>>(
  kind: K, schema: S, build: (seed: z.output<S>['seeds'][number], header: AnalysisResultsHeader, calibration: LoadedCalibration | null) => Promise<SeedSection>,
) {
  return async (dir: string, calibration: LoadedCalibration | null): Promise<ReportSection> => {
    const results = readResults(dir, kind, schema);
    const checks = ANALYSIS_CLAIMS[kind](results, calibration);
    const built: SeedSection[] = [];
    for (const seed of results.seeds) built.push(await build(seed, results, calibration));
    const first = built[0]!;
    const several = built.length > 1;
    return {
      id: first.id,
      title: first.title,
      conclusion: checks.length > 0 ? checks.map(claimSentence).join(' ') : `No claim is checked for ${results.sources.some((s) => s.run === null) ? 'weights trained elsewhere' : 'these models'}: the measurements are shown without a verdict.`,
      blocks: [
        ...(checks.length > 0 ? [claimsTable(checks)] : []),
        ...built.flatMap((s, i) => (several ? [paragraphBlock(`Seed ${results.seeds[i]!.seed}.`), ...s.blocks] : s.blocks)),
        sourcesTable(results.sources),
      ],
    };
  };
}

/** The claim checks of an analysis experiment folder, from its results.json (for the combined report's table). */
export function analysisClaims(kind: AnalysisExperimentName, dir: string, calibration: LoadedCalibration | null = null): ClaimCheck[] {
  const schema = SCHEMAS[kind];
  return (ANALYSIS_CLAIMS[kind] as (r: unknown, c: LoadedCalibration | null) => ClaimCheck[])(readResults(dir, kind, schema), calibration);
}

const SCHEMAS: Record<AnalysisExperimentName, z.ZodType<AnyResults>> = {
  'gradient-flow': gradientFlowResultsSchema,
  paths: pathsResultsSchema,
  lesion: lesionResultsSchema,
  landscape: landscapeResultsSchema,
  representations: representationsResultsSchema,
  'feature-reuse': featureReuseResultsSchema,
  'highway-gates': highwayGatesResultsSchema,
  'unet-skips': unetSkipsResultsSchema,
  'transformer-residual': transformerResidualResultsSchema,
  'identity-construction': identityConstructionResultsSchema,
};

/** Report sections of the analysis experiments, by experiment kind (= name). */
const sections: Record<AnalysisExperimentName, (dir: string, calibration: LoadedCalibration | null) => Promise<ReportSection>> = {
  'gradient-flow': sectionOf('gradient-flow', gradientFlowResultsSchema, gradientFlowSection),
  paths: sectionOf('paths', pathsResultsSchema, pathsSection),
  lesion: sectionOf('lesion', lesionResultsSchema, lesionSection),
  landscape: sectionOf('landscape', landscapeResultsSchema, landscapeSection),
  representations: sectionOf('representations', representationsResultsSchema, representationsSection),
  'feature-reuse': sectionOf('feature-reuse', featureReuseResultsSchema, featureReuseSection),
  'highway-gates': sectionOf('highway-gates', highwayGatesResultsSchema, highwayGatesSection),
  'unet-skips': sectionOf('unet-skips', unetSkipsResultsSchema, unetSkipsSection),
  'transformer-residual': sectionOf('transformer-residual', transformerResidualResultsSchema, transformerResidualSection),
  'identity-construction': sectionOf('identity-construction', identityConstructionResultsSchema, identityConstructionSection),
};

/** Whether `kind` (an experiment spec's kind) is one of the analysis experiments. */
export function hasAnalysisSection(kind: string): kind is AnalysisExperimentName {
  return kind in sections;
}

/** Where the measured weights came from: the run that trained them or the user's file, and its SHA-256. */
function sourcesTable(sources: readonly WeightsSource[]): ReportBlock {
  return tableBlock(['weights', 'seed', 'model', 'trained in', 'file', 'SHA-256'],
    sources.map((s) => [s.label, s.seed, `${s.model}${Object.keys(s.modelOptions).length ? ` ${JSON.stringify(s.modelOptions)}` : ''}`, s.run ?? 'elsewhere (given with --weights)', s.path, s.sha256]),
    { caption: 'The weights measured: where each came from, with the SHA-256 of the file read (paths inside the run store are relative to it).', numericColumns: [1] });
}

/**
 * The report section of an analysis experiment folder (`<store>/<name>-<mode>/`), with its
 * PyTorch calibration when it has one (`loadCalibration`).
 *
 * @example const section = await analysisSection('lesion', 'runs/lesion-quick');
 */
export function analysisSection(kind: string, experimentDir: string, calibration: LoadedCalibration | null = null): Promise<ReportSection> {
  if (!hasAnalysisSection(kind)) throw new ResultsError(`${join(experimentDir, 'experiment.json')}: no analysis report section for kind '${kind}' (known: ${Object.keys(sections).join(', ')})`);
  return sections[kind](experimentDir, calibration);
}
