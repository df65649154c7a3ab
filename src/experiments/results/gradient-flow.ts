import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

export const gradientSnapshotSchema = z.strictObject({
  /** 0 = at initialisation, e = after epoch e. */
  epoch: z.number().int().nonnegative(),
  loss: z.number(),
  firstToLastRatio: measured,
  /** RMS of ∂L/∂y at the first convolution over that at the last (per element, so sizes cancel); null with fewer than two convolutions. */
  convActivationRatio: measured,
  layers: z.array(z.strictObject({ layer: z.string(), depth: z.number().int(), weightGradientNorm: z.number(), activationGradientNorm: z.number(), weightNorm: z.number() })),
});
export type GradientSnapshot = z.infer<typeof gradientSnapshotSchema>;

export const gradientFlowModelSchema = z.strictObject({
  name: z.string(),
  family: z.enum(['plain', 'plain-no-bn', 'residual', 'highway', 'dense', 'given']),
  weightedLayers: z.number().int(),
  parameters: z.number().int(),
  /** The learning rate it trained with (null for given weights). */
  lr: z.number().nullable(),
  snapshots: z.array(gradientSnapshotSchema).min(1),
  /** Running training error of each epoch (empty for given weights). */
  trainError: z.array(z.number()),
});
export type GradientFlowModel = z.infer<typeof gradientFlowModelSchema>;

/** Per-layer gradient norms at initialisation and after each epoch, for nets of (nearly) equal depth. */
export const gradientFlowResultsSchema = analysisResultsSchema('gradient-flow', {
  depth: z.number().int().nullable(),
  models: z.array(gradientFlowModelSchema).min(1),
});
export type GradientFlowResults = z.infer<typeof gradientFlowResultsSchema>;
