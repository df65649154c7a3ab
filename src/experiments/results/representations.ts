import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

export const blockChangeSchema = z.strictObject({ block: z.string(), branchRatio: measured, changeRatio: measured });
export const weightDriftSchema = z.strictObject({ layer: z.string(), depth: z.number().int(), drift: measured });

/** How much each block changes its input, linear CKA between block outputs, and weight drift, per model. */
export const representationsResultsSchema = analysisResultsSchema('representations', {
  depth: z.number().int().nullable(),
  images: z.number().int().positive(),
  models: z.array(z.strictObject({
    family: z.enum(['residual', 'plain', 'given']),
    parameters: z.number().int(),
    blocks: z.array(z.string()),
    ratios: z.array(blockChangeSchema),
    cka: z.array(z.array(measured)),
    /** ‖W_t − W_0‖/‖W_0‖ per layer; null for given weights, whose initial weights are unknown. */
    drift: z.array(weightDriftSchema).nullable(),
  })).min(1),
});
export type RepresentationsResults = z.infer<typeof representationsResultsSchema>;
