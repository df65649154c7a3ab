import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';

/**
 * An experiment spec: a base training config and a grid of values to vary. It expands into one
 * run per grid point, each with a stable id made from the varied values, so re-running a spec
 * finds its finished runs and resumes the rest.
 */
const gridValue = z.union([z.number(), z.string(), z.boolean()]);

export const experimentSpecSchema = z.strictObject({
  /** Folder name under the store root, e.g. "degradation". */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-"'),
  /** What the experiment is for (shown in reports). */
  description: z.string().default(''),
  /** Analysis to render for this experiment ("degradation", …). */
  kind: z.string().default('training'),
  base: trainConfigSchema.partial(),
  /**
   * Values to vary. Keys are config fields or `modelOptions.<option>`; every combination is a run.
   */
  grid: z.record(z.string(), z.array(gridValue).min(1)).default({}),
  /** Seeds; each grid point runs once per seed. */
  seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
});

export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;

export interface PlannedRun {
  /** Stable id and folder name, e.g. "depth-20_skip-none_seed-0". */
  id: string;
  /** The varied values of this run. */
  point: Record<string, string | number | boolean>;
  config: TrainConfig;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

export function parseExperimentSpec(input: unknown, source = 'spec'): ExperimentSpec {
  const result = experimentSpecSchema.safeParse(input);
  if (!result.success) {
    throw new SpecError(`${source} is invalid: ${result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

function shortKey(key: string): string {
  return key.startsWith('modelOptions.') ? key.slice('modelOptions.'.length) : key;
}

/** Every grid point × seed, with its full validated training config. */
export function expandSpec(spec: ExperimentSpec): PlannedRun[] {
  const keys = Object.keys(spec.grid).sort();
  let points: Record<string, string | number | boolean>[] = [{}];
  for (const key of keys) points = points.flatMap((p) => spec.grid[key]!.map((v) => ({ ...p, [key]: v })));
  const runs: PlannedRun[] = [];
  for (const point of points) {
    for (const seed of spec.seeds) {
      const config: Record<string, unknown> = { ...spec.base, modelOptions: { ...(spec.base.modelOptions ?? {}) }, seed };
      for (const [key, value] of Object.entries(point)) {
        if (key.startsWith('modelOptions.')) (config.modelOptions as Record<string, unknown>)[shortKey(key)] = value;
        else config[key] = value;
      }
      const id = [...Object.entries(point).map(([k, v]) => `${shortKey(k)}-${v}`), `seed-${seed}`].join('_');
      const result = trainConfigSchema.safeParse(config);
      if (!result.success) {
        throw new SpecError(`spec '${spec.name}', run ${id}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      }
      runs.push({ id, point, config: result.data });
    }
  }
  const ids = new Set(runs.map((r) => r.id));
  if (ids.size !== runs.length) throw new SpecError(`spec '${spec.name}': two runs share an id (repeated grid values?)`);
  return runs;
}
