import { z } from 'zod';
import { analysisResultsSchema } from './header.js';

const rowSchema = z.strictObject({ name: z.string(), depth: z.number().int(), trainError: z.number(), testError: z.number() });

/** He et al. 2015 §1: the trained shallow plain net, the deep net built from it with identity blocks, and the deep net trained from scratch. */
export const identityConstructionResultsSchema = analysisResultsSchema('identity-construction', {
  inserted: z.array(z.string()),
  /** Largest |logit| difference between the shallow net and the constructed deep one (0: the same function). */
  maxOutputDifference: z.number(),
  rows: z.tuple([rowSchema, rowSchema, rowSchema]),
});
export type IdentityConstructionResults = z.infer<typeof identityConstructionResultsSchema>;
