import { z } from 'zod';
import { analysisResultsSchema } from './header.js';

export const gateSnapshotSchema = z.strictObject({
  /** 0 = at initialisation, e = after epoch e. */
  epoch: z.number().int().nonnegative(),
  layers: z.array(z.strictObject({ layer: z.string(), meanGate: z.number(), closedFraction: z.number(), perExample: z.array(z.number()) })),
});

/** Srivastava et al. 2015 Fig. 2: transform-gate activity over training, and the highway net's and its plain twin's errors. */
export const highwayGatesResultsSchema = analysisResultsSchema('highway-gates', {
  depth: z.number().int(),
  width: z.number().int(),
  /**
   * Width of the plain twin: the one whose whole-net parameter count is nearest the highway
   * net's (Srivastava et al. §4.1 matched per layer: 71 against 50).
   */
  plainWidth: z.number().int(),
  models: z.array(z.strictObject({
    family: z.enum(['highway', 'plain']),
    /** Parameter count of the trained net (the plain twin's is matched to the highway net's by its width). */
    parameters: z.number().int().nullable(),
    trainError: z.array(z.number()),
    testError: z.array(z.number().nullable()),
    /** Gate activity per snapshot (empty for the plain twin, which has no gates). */
    gates: z.array(gateSnapshotSchema),
  })).min(1),
});
export type HighwayGatesResults = z.infer<typeof highwayGatesResultsSchema>;
