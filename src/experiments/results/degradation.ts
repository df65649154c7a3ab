import { z } from 'zod';

/**
 * results.json of the degradation experiment (schema version 1): every run's curves and final
 * errors, read from the store, and the verdicts computed from them.
 */
const curvePointSchema = z.strictObject({
  step: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  trainError: z.number(),
  testError: z.number().optional(),
});

export const degradationRunSchema = z.strictObject({
  id: z.string(),
  depth: z.number().int().positive(),
  residual: z.boolean(),
  seed: z.number().int().nonnegative(),
  parameters: z.number().int().nullable(),
  complete: z.boolean(),
  /** Step records: training error over the recent steps, test error when measured. */
  curve: z.array(curvePointSchema),
  /** Epoch records: running training error over each epoch, test error at its end. */
  epochs: z.array(curvePointSchema),
  finalTrainError: z.number().nullable(),
  finalTestError: z.number().nullable(),
  seconds: z.number().nullable(),
});
export type DegradationRun = z.infer<typeof degradationRunSchema>;

export const degradationResultsSchema = z.strictObject({
  version: z.literal(1),
  experiment: z.string(),
  dataset: z.string(),
  /** The tier of the spec ('quick', 'standard', 'full', or 'custom' for a spec file). */
  tier: z.string(),
  /** The shared recipe in words ("2 epochs on 8,000 fashion-mnist training images, batch 64, constant lr 0.1"), for the verdict's sentence. */
  budget: z.string(),
  writtenAt: z.string(),
  /** Every run's numbers; the report computes the verdicts from them (mean and interval over seeds). */
  runs: z.array(degradationRunSchema),
});
export type DegradationResults = z.infer<typeof degradationResultsSchema>;
