import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

export const singleLesionSchema = z.strictObject({ block: z.string(), index: z.number().int(), error: z.number() });
export const randomLesionsSchema = z.strictObject({ deleted: z.number().int().positive(), meanError: z.number(), errors: z.array(z.number()) });

/**
 * Veit et al. 2016 §4: test error with single blocks and with k random blocks deleted, per model.
 * Only blocks that keep their input's shape are deleted; the downsampling ones are `excluded`.
 */
export const lesionResultsSchema = analysisResultsSchema('lesion', {
  /** Depth of the twins (null for given weights whose model has no depth option). */
  depth: z.number().int().nullable(),
  testImages: z.number().int().positive(),
  models: z.array(z.strictObject({
    family: z.enum(['residual', 'plain', 'given']),
    parameters: z.number().int(),
    baseline: measured,
    single: z.array(singleLesionSchema),
    random: z.array(randomLesionsSchema),
    /** The blocks that keep their input's shape: each is deleted alone, and random deletions draw from them. */
    candidates: z.array(z.string()),
    /** The skip blocks never deleted because they change their input's shape (the downsampling ones). */
    excluded: z.array(z.string()),
  })).min(1),
});
export type LesionResults = z.infer<typeof lesionResultsSchema>;
