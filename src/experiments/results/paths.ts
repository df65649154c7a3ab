import { z } from 'zod';
import { analysisResultsSchema, measured } from './header.js';

/** Veit et al. 2016: path lengths, gradient per path length and the effective paths of a residual net. */
export const pathsResultsSchema = analysisResultsSchema('paths', {
  depth: z.number().int().nullable(),
  /** Final training error of the measured model when it was trained here (null for given weights). */
  finalTrainError: z.number().nullable(),
  blocks: z.number().int().nonnegative(),
  distribution: z.array(z.strictObject({ length: z.number().int(), count: z.number(), fraction: z.number() })),
  gradientByLength: z.array(z.strictObject({ length: z.number().int(), gradientNorm: measured, samples: z.number().int() })),
  contribution: z.array(z.strictObject({ length: z.number().int(), share: measured })),
  effectiveRange: z.strictObject({ from: z.number().int(), to: z.number().int(), coverage: z.number() }),
  /** Veit et al.'s own numbers, for comparison. */
  paper: z.strictObject({ blocks: z.number().int(), effectiveFrom: z.number().int(), effectiveTo: z.number().int(), model: z.string() }),
});
export type PathsResults = z.infer<typeof pathsResultsSchema>;
