import type { AnalysisExperimentName } from '../../experiments/analysis/index.js';
import type { FeatureReuseResults } from '../../experiments/results/feature-reuse.js';
import type { GradientFlowResults } from '../../experiments/results/gradient-flow.js';
import type { HighwayGatesResults } from '../../experiments/results/highway-gates.js';
import type { IdentityConstructionResults } from '../../experiments/results/identity-construction.js';
import type { LandscapeResults } from '../../experiments/results/landscape.js';
import type { LesionResults } from '../../experiments/results/lesion.js';
import type { PathsResults } from '../../experiments/results/paths.js';
import type { RepresentationsResults } from '../../experiments/results/representations.js';
import type { TransformerResidualResults } from '../../experiments/results/transformer-residual.js';
import type { UnetSkipsResults } from '../../experiments/results/unet-skips.js';
import type { LoadedCalibration } from './calibration.js';
import type { ClaimCheck } from './claim.js';
import { featureReuseClaims } from './feature-reuse.js';
import { gradientFlowClaims } from './gradient-flow.js';
import { highwayGatesClaims } from './highway-gates.js';
import { identityConstructionClaims } from './identity-construction.js';
import { landscapeClaims } from './landscape.js';
import { lesionClaims } from './lesion.js';
import { pathsClaims } from './paths.js';
import { representationsClaims } from './representations.js';
import { transformerResidualClaims } from './transformer-residual.js';
import { unetSkipsClaims } from './unet-skips.js';

/** The results type of each analysis experiment. */
export interface AnalysisResultsOf {
  'gradient-flow': GradientFlowResults;
  paths: PathsResults;
  lesion: LesionResults;
  landscape: LandscapeResults;
  representations: RepresentationsResults;
  'feature-reuse': FeatureReuseResults;
  'highway-gates': HighwayGatesResults;
  'unet-skips': UnetSkipsResults;
  'transformer-residual': TransformerResidualResults;
  'identity-construction': IdentityConstructionResults;
}

/**
 * The claim checks of each analysis experiment: a missing one does not compile. Each gets the
 * experiment's PyTorch calibration too (null when it has none); those without one ignore it.
 */
export const ANALYSIS_CLAIMS: { [K in AnalysisExperimentName]: (results: AnalysisResultsOf[K], calibration?: LoadedCalibration | null) => ClaimCheck[] } = {
  'gradient-flow': gradientFlowClaims,
  paths: pathsClaims,
  lesion: lesionClaims,
  landscape: landscapeClaims,
  representations: representationsClaims,
  'feature-reuse': featureReuseClaims,
  'highway-gates': highwayGatesClaims,
  'unet-skips': unetSkipsClaims,
  'transformer-residual': transformerResidualClaims,
  'identity-construction': identityConstructionClaims,
};

export { analysisBudget, claimSentence, type ClaimCheck } from './claim.js';
export { claimsTable } from './table.js';
