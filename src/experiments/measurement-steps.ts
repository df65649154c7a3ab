import { featureReuseStep } from './analysis/feature-reuse.js';
import { gradientFlowStep } from './analysis/gradient-flow.js';
import { highwayGatesStep } from './analysis/highway-gates.js';
import { identityConstructionStep } from './analysis/identity-construction.js';
import { landscapeHessianStep, landscapeLineStep, landscapeRowStep } from './analysis/landscape.js';
import { lesionRandomStep, lesionSingleStep } from './analysis/lesion.js';
import { pathsStep } from './analysis/paths.js';
import { representationsStep } from './analysis/representations.js';
import { transformerProbeStep } from './analysis/transformer-residual.js';
import { unetEpochStep } from './analysis/unet-skips.js';
import type { MeasurementStep } from './measurement.js';
import { SpecError } from './spec.js';

/** Every measurement step, by name: where a measurement job runs, its step is found here. */
const STEPS: readonly MeasurementStep[] = [
  gradientFlowStep, pathsStep, lesionSingleStep, lesionRandomStep, landscapeRowStep, landscapeLineStep, landscapeHessianStep,
  representationsStep, featureReuseStep, highwayGatesStep, unetEpochStep, transformerProbeStep, identityConstructionStep,
];

const byName = new Map(STEPS.map((s) => [s.name, s]));
if (byName.size !== STEPS.length) throw new Error('measurement-steps: two steps share a name');

export function findMeasurementStep(name: string): MeasurementStep {
  const step = byName.get(name);
  if (!step) throw new SpecError(`unknown measurement step '${name}' (known: ${[...byName.keys()].join(', ')})`);
  return step;
}
