import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

/** The Hessian's extreme eigenvalues with their residuals ‖Hv − λv‖ / ‖v‖ (large: not trustworthy) and the Lanczos steps taken. */
export const hessianSchema = z.strictObject({
  maxEigenvalue: z.number(), minEigenvalue: z.number(), ratio: measured,
  maxResidual: measured, minResidual: measured, iterations: z.number().int().nonnegative(),
});

/** Li et al. 2018: 1-D and 2-D loss surfaces along filter-normalised directions and the Hessian's eigenvalue ratio, per model. */
export const landscapeResultsSchema = analysisResultsSchema('landscape', {
  depth: z.number().int().nullable(),
  /** Training images the loss is measured on. */
  images: z.number().int().positive(),
  models: z.array(z.strictObject({
    family: z.enum(['residual', 'plain', 'given']),
    parameters: z.number().int(),
    line: z.array(z.strictObject({ alpha: z.number(), loss: measured })),
    /** `losses[i][j]` is the loss at (alphas[i], betas[j]); row i is one shard. */
    surface: z.strictObject({ alphas: z.array(z.number()), betas: z.array(z.number()), losses: z.array(z.array(measured)) }),
    hessian: hessianSchema,
  })).min(1),
});
export type LandscapeResults = z.infer<typeof landscapeResultsSchema>;
