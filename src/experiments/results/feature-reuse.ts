import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

/** Huang et al. 2017 Fig. 5: per dense block, the mean |weight| each layer gives each earlier layer's maps. */
export const denseBlockReuseSchema = z.strictObject({
  block: z.string(),
  weights: z.array(z.array(measured)),
  normalized: z.array(z.array(measured)),
});

/** DenseNet feature reuse and a parameter-efficiency table against the residual twin. */
export const featureReuseResultsSchema = analysisResultsSchema('feature-reuse', {
  blocks: z.array(denseBlockReuseSchema),
  /** The same measurement on the same net's weights at initialisation (i.i.d. weights already spread over every source). */
  initialBlocks: z.array(denseBlockReuseSchema),
  /** Share of each layer's mean |w| on sources other than its direct predecessor: at initialisation, after training, and the change. */
  nonPredecessorShare: z.strictObject({ initial: measured, trained: measured, change: measured }),
  table: z.array(z.strictObject({ name: z.string(), parameters: z.number().int(), trainError: z.number(), testError: z.number().nullable() })),
});
export type FeatureReuseResults = z.infer<typeof featureReuseResultsSchema>;
