import { z } from 'zod';

/**
 * A PyTorch calibration of the degradation experiment, as scripts/calibration/degradation_standard.py
 * writes it: the same nets, recipe, official data and seeds trained in PyTorch, run by run. Runs
 * cut short are kept with `complete: false` and carry no final numbers.
 */
const finalErrorsSchema = z.object({
  trainLoss: z.number(),
  trainError: z.number().min(0).max(1),
  testLoss: z.number(),
  testError: z.number().min(0).max(1),
});

export const calibrationRunSchema = z.object({
  depth: z.number().int().positive(),
  skip: z.enum(['identity', 'none']),
  seed: z.number().int().nonnegative(),
  complete: z.boolean(),
  parameters: z.number().int().positive().optional(),
  final: finalErrorsSchema.optional(),
  seconds: z.number().nonnegative(),
});
export type CalibrationRun = z.infer<typeof calibrationRunSchema>;

/** The recipe fields a skiplab spec must share with the calibration for the comparison to mean anything. */
export const calibrationRecipeSchema = z.object({
  baseWidth: z.number().int().positive(),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  lr: z.number().positive(),
  warmupEpochs: z.number().nonnegative(),
  trainCount: z.number().int().positive(),
  testCount: z.number().int().positive(),
});
export type CalibrationRecipe = z.infer<typeof calibrationRecipeSchema>;

export const degradationCalibrationSchema = z.object({
  experiment: z.string().min(1),
  /** "pytorch 1.13.0a0". */
  framework: z.string().min(1),
  data: z.object({
    kind: z.string(),
    name: z.string(),
    files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex') })),
  }),
  recipe: calibrationRecipeSchema,
  runs: z.array(calibrationRunSchema),
});
export type DegradationCalibration = z.infer<typeof degradationCalibrationSchema>;
