import { z } from 'zod';

/**
 * What every analysis `results.json` holds besides its measurements (schema version 1): which
 * experiment, mode and data, when, how long the measurements took, which weights were measured
 * (path in the store or the user's file, and SHA-256), and one entry per seed.
 */
export const RESULTS_VERSION = 1;

/** A number that may have been NaN or ±Infinity when measured (JSON keeps those as null). */
export const measured = z.number().nullable();

export const weightsSourceSchema = z.strictObject({
  /** The role of these weights in the experiment ("residual", "plain", "given", "dense", …). */
  label: z.string(),
  seed: z.number().int().nonnegative(),
  model: z.string(),
  modelOptions: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  /** The file: a path inside the store (`<experiment>/<run>/weights/…`) or the user's file. */
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Where it was trained: a run folder of the store, or null for weights trained elsewhere. */
  run: z.string().nullable(),
});
export type WeightsSource = z.infer<typeof weightsSourceSchema>;

/** The schema of an analysis experiment's results.json, with `perSeed` the shape of one seed's measurements. */
export function analysisResultsSchema<K extends string, S extends z.ZodRawShape>(experiment: K, perSeed: S) {
  return z.strictObject({
    version: z.literal(RESULTS_VERSION),
    experiment: z.literal(experiment),
    mode: z.enum(['quick', 'standard', 'full']),
    dataset: z.string(),
    /** What the measured models were trained with, in words ("4 epochs on 2,048 images"), for every verdict's sentence. */
    budget: z.string(),
    /** Seconds the measurement shards took in total (training time is in each run's summary). */
    seconds: z.number().nonnegative(),
    writtenAt: z.string(),
    sources: z.array(weightsSourceSchema),
    seeds: z.array(z.strictObject({ seed: z.number().int().nonnegative(), ...perSeed })).min(1),
  });
}

/** The fields every analysis results.json shares (for code that reads any of them). */
export type AnalysisResultsHeader = Omit<z.infer<ReturnType<typeof analysisResultsSchema<string, {}>>>, 'seeds'>;
