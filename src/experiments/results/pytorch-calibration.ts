import { z } from 'zod';

/**
 * PyTorch calibrations of skiplab's standard experiments, as the scripts in scripts/calibration/
 * write them: the same nets, recipe, official data and seeds trained in PyTorch, run by run. Runs
 * cut short are kept with `complete: false` and carry no final numbers; a complete run must.
 */
const finalErrorsSchema = z.object({
  trainLoss: z.number(),
  trainError: z.number().min(0).max(1),
  testLoss: z.number(),
  testError: z.number().min(0).max(1),
});

/** What every calibration run records: which net and seed, whether it finished, and how long it took. */
const runShape = {
  depth: z.number().int().positive(),
  skip: z.enum(['identity', 'none']),
  seed: z.number().int().nonnegative(),
  complete: z.boolean(),
  parameters: z.number().int().positive().optional(),
  seconds: z.number().nonnegative(),
};

/** A complete run must carry its measurement `field`; the issue names it. */
function completeHas<T extends { complete: boolean }>(field: keyof T & string) {
  return (run: T, context: z.RefinementCtx) => {
    if (run.complete && run[field] === undefined) context.addIssue({ code: 'custom', path: [field], message: `a complete run needs '${field}'` });
  };
}

/** A degradation run (degradation_standard.py): final training and test loss and error. */
export const degradationCalibrationRunSchema = z.object({ ...runShape, final: finalErrorsSchema.optional() }).superRefine(completeHas('final'));
export type DegradationCalibrationRun = z.infer<typeof degradationCalibrationRunSchema>;

/**
 * A lesion run (lesion_standard.py): test error of the intact net and with each single
 * shape-keeping block deleted (Veit et al. 2016 §4), in evaluation mode on `testImages` images.
 */
export const lesionCalibrationRunSchema = z.object({
  ...runShape,
  testImages: z.number().int().positive().optional(),
  baseline: z.number().min(0).max(1).optional(),
  single: z.array(z.object({ block: z.string().min(1), error: z.number().min(0).max(1) })).optional(),
  /** The blocks not deleted because they change their input's shape (the downsampling ones). */
  excluded: z.array(z.string()).optional(),
}).superRefine(completeHas('baseline')).superRefine(completeHas('single'));
export type LesionCalibrationRun = z.infer<typeof lesionCalibrationRunSchema>;

/**
 * A paths run (paths_standard.py): the gradient reaching the input per path length of the residual
 * net (Veit et al. 2016 §4.2, Fig. 6), as skiplab's gradientByPathLength measures it, on
 * `testImages` test images with `samplesPerLength` sampled paths per length.
 */
export const pathsCalibrationRunSchema = z.object({
  ...runShape,
  /** The saved net measured (lesion_standard.py --save-weights), or null when trained here. */
  weights: z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex') }).nullable().optional(),
  finalTrainError: z.number().min(0).max(1).nullable().optional(),
  testImages: z.number().int().positive().optional(),
  samplesPerLength: z.number().int().positive().optional(),
  blocks: z.number().int().positive().optional(),
  gradientByLength: z.array(z.object({ length: z.number().int().nonnegative(), gradientNorm: z.number().nonnegative(), samples: z.number().int().positive() })).optional(),
  contribution: z.array(z.object({ length: z.number().int().nonnegative(), share: z.number().min(0).max(1) })).optional(),
  effectiveRange: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative(), coverage: z.number().min(0).max(1) }).optional(),
  gradientWeightedLength: z.number().nonnegative().optional(),
}).superRefine(completeHas('blocks')).superRefine(completeHas('gradientByLength')).superRefine(completeHas('contribution'))
  .superRefine(completeHas('gradientWeightedLength')).superRefine(completeHas('samplesPerLength'));
export type PathsCalibrationRun = z.infer<typeof pathsCalibrationRunSchema>;

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

/** A calibration file: what was run, with which data and recipe, and its runs. */
function calibrationSchema<R extends z.ZodTypeAny>(run: R) {
  return z.object({
    experiment: z.string().min(1),
    /** "pytorch 1.13.0a0". */
    framework: z.string().min(1),
    data: z.object({
      kind: z.string(),
      name: z.string(),
      files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex') })),
    }),
    recipe: calibrationRecipeSchema,
    runs: z.array(run),
  });
}

export const degradationCalibrationSchema = calibrationSchema(degradationCalibrationRunSchema);
export type DegradationCalibration = z.infer<typeof degradationCalibrationSchema>;

export const lesionCalibrationSchema = calibrationSchema(lesionCalibrationRunSchema);
export type LesionCalibration = z.infer<typeof lesionCalibrationSchema>;

/** A paths calibration also says how it measured: images, sampled paths per length, the effective range's coverage. */
export const pathsCalibrationSchema = calibrationSchema(pathsCalibrationRunSchema).extend({
  measurement: z.object({ images: z.number().int().positive(), samplesPerLength: z.number().int().positive(), coverage: z.number().gt(0).max(1) }),
});
export type PathsCalibration = z.infer<typeof pathsCalibrationSchema>;

/** The calibration schema of each experiment kind that has one. */
export const CALIBRATION_SCHEMAS = { degradation: degradationCalibrationSchema, lesion: lesionCalibrationSchema, paths: pathsCalibrationSchema } as const;
export type CalibratedKind = keyof typeof CALIBRATION_SCHEMAS;
export interface CalibrationOf { degradation: DegradationCalibration; lesion: LesionCalibration; paths: PathsCalibration }
