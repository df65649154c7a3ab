import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

export const singleLesionSchema = z.strictObject({ block: z.string(), index: z.number().int(), error: z.number() });
export const randomLesionsSchema = z.strictObject({ deleted: z.number().int().positive(), meanError: z.number(), errors: z.array(z.number()) });

/** Veit et al. 2016 §4: test error with single blocks and with k random blocks deleted, per model. */
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
    /** The blocks random deletions draw from (those every compared model can lose). */
    candidates: z.array(z.string()),
  })).min(1),
});
export type LesionResults = z.infer<typeof lesionResultsSchema>;
