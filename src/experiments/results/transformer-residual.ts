import { z } from 'zod';
import { analysisResultsSchema } from './header.js';

export const probeSchema = z.strictObject({ block: z.string(), trainAccuracy: z.number(), testAccuracy: z.number() });

/** A pre-LN transformer with and without residual adds at growing depth: training loss and a linear probe for token position. */
export const transformerResidualResultsSchema = analysisResultsSchema('transformer-residual', {
  dim: z.number().int().positive(),
  /** Tokens per sequence (image rows), so chance for the position probe is 1 / sequence. */
  sequence: z.number().int().positive(),
  runs: z.array(z.strictObject({
    name: z.string(),
    layers: z.number().int().positive(),
    residual: z.boolean(),
    /** Parameter count (the adds have none, so the twins match; null in results written before it was recorded). */
    parameters: z.number().int().nullable().default(null),
    losses: z.array(z.strictObject({ step: z.number().int(), loss: z.number() })),
    trainLoss: z.array(z.number()),
    finalTrainError: z.number(),
    finalTestError: z.number().nullable(),
    probes: z.array(probeSchema),
    /** The same probe on the first block's input (token + position embeddings): what position information there is to keep. */
    embeddingProbe: probeSchema,
  })).min(1),
});
export type TransformerResidualResults = z.infer<typeof transformerResidualResultsSchema>;
