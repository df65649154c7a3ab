import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { UserInputError } from '../util/errors.js';
import { describeIssues } from '../util/zod-issues.js';

/**
 * An experiment spec: a base training config, named variants of it, and a grid of values to
 * vary. It expands into one run per variant × grid point × seed, each with a stable id made from
 * what varies, so re-running a spec finds its finished runs and resumes the rest.
 */
/** Runs a spec may expand into unless its `maxRuns` says more. */
export const DEFAULT_MAX_RUNS = 1000;

const gridValue = z.union([z.number(), z.string(), z.boolean()]);

export { FOLDER_NAME } from './store-path.js';
import { FOLDER_NAME } from './store-path.js';

/**
 * A change to a training config: any of its fields, none defaulted — a field the change leaves
 * out must keep the value it had, not take the schema's default.
 */
const configChangeSchema = z.strictObject(Object.fromEntries(Object.entries(trainConfigSchema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]))) as unknown as z.ZodType<Partial<TrainConfig>, Partial<z.input<typeof trainConfigSchema>>>;

export const experimentSpecSchema = z.strictObject({
  /** Folder name under the store root, e.g. "degradation". */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-"'),
  /** What the experiment is for (shown in reports). */
  description: z.string().default(''),
  /** What the report renders for this experiment ("degradation", "lesion", …; "training" for plain sweeps). */
  kind: z.string().default('training'),
  base: trainConfigSchema.partial(),
  /**
   * Named changes to the base config (e.g. a model and its learning rate), for runs that differ in
   * more than one field at once; each variant is crossed with the grid and the seeds.
   */
  variants: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'use lower-case letters, digits, "." or "-"'), configChangeSchema).optional(),
  /**
   * Values to vary. Keys are config fields or `modelOptions.<option>`; every combination is a run.
   */
  grid: z.record(z.string(), z.array(gridValue).min(1)).default({}),
  /**
   * Changes for the runs whose grid point has every value in `where` (keys as in `grid`), applied
   * after the grid's values; the run keeps its id. For a setting only some points need, such as
   * ResNet-110's warm-up (He et al. 2015 §4.2). Each must match at least one grid point.
   */
  overrides: z.array(z.strictObject({ where: z.record(z.string(), gridValue), set: configChangeSchema })).optional(),
  /** Seeds; each grid point runs once per seed. */
  seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
  /**
   * The most runs the spec may expand into (variants × grid points × seeds); a larger sweep is
   * refused before anything is written, so a typo in a grid cannot start a million runs. Raise
   * it to run a larger sweep on purpose.
   */
  maxRuns: z.number().int().positive().default(DEFAULT_MAX_RUNS),
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

export class SpecError extends UserInputError {
  override name = 'SpecError';
}

export function parseExperimentSpec(input: unknown, source = 'spec'): ExperimentSpec {
  const result = experimentSpecSchema.safeParse(input);
  if (!result.success) throw new SpecError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  return result.data;
}

function shortKey(key: string): string {
  return key.startsWith('modelOptions.') ? key.slice('modelOptions.'.length) : key;
}

/** Every variant × grid point × seed, with its full validated training config. */
export function expandSpec(spec: ExperimentSpec): PlannedRun[] {
  const keys = Object.keys(spec.grid).sort();
  // Counted before expanding: a 10^6-point grid is refused without building 10^6 configs.
  const count = keys.reduce((n, key) => n * spec.grid[key]!.length, Object.keys(spec.variants ?? { base: 0 }).length * spec.seeds.length);
  if (count > spec.maxRuns) {
    throw new SpecError(`spec '${spec.name}': ${count} runs (variants × grid points × seeds) is more than maxRuns ${spec.maxRuns}; shrink the grid, or set "maxRuns": ${count} in the spec to run them all`);
  }
  let points: Record<string, string | number | boolean>[] = [{}];
  for (const key of keys) points = points.flatMap((p) => spec.grid[key]!.map((v) => ({ ...p, [key]: v })));
  const matches = (where: Record<string, string | number | boolean>, point: Record<string, string | number | boolean>) => Object.entries(where).every(([key, value]) => point[key] === value);
  (spec.overrides ?? []).forEach(({ where }, i) => {
    const unknown = Object.keys(where).filter((key) => !keys.includes(key));
    if (unknown.length > 0) throw new SpecError(`spec '${spec.name}': overrides[${i}] names ${unknown.join(', ')}, which the grid does not vary (grid keys: ${keys.join(', ') || 'none'})`);
    if (!points.some((point) => matches(where, point))) throw new SpecError(`spec '${spec.name}': overrides[${i}] (${JSON.stringify(where)}) matches no grid point`);
  });
  const variants: [string | null, Partial<TrainConfig>][] = spec.variants ? Object.entries(spec.variants) : [[null, {}]];
  const runs: PlannedRun[] = [];
  for (const [variant, change] of variants) {
    for (const point of points) {
      for (const seed of spec.seeds) {
        const config: Record<string, unknown> = { ...spec.base, ...change, modelOptions: { ...(spec.base.modelOptions ?? {}), ...(change.modelOptions ?? {}) }, seed };
        for (const [key, value] of Object.entries(point)) {
          if (key.startsWith('modelOptions.')) (config.modelOptions as Record<string, unknown>)[shortKey(key)] = value;
          else config[key] = value;
        }
        for (const { where, set } of spec.overrides ?? []) {
          if (matches(where, point)) Object.assign(config, { ...set, modelOptions: { ...(config.modelOptions as object), ...(set.modelOptions ?? {}) } });
        }
        const id = [...(variant === null ? [] : [variant]), ...Object.entries(point).map(([k, v]) => `${shortKey(k)}-${v}`), `seed-${seed}`].join('_');
        if (!FOLDER_NAME.test(id)) throw new SpecError(`spec '${spec.name}': run id '${id}' is not a plain folder name (grid values may use letters, digits and . _ = + , -)`);
        const result = trainConfigSchema.safeParse(config);
        if (!result.success) throw new SpecError(`spec '${spec.name}', run ${id}: ${describeIssues(result.error.issues)}`);
        runs.push({ id, point: variant === null ? point : { variant, ...point }, config: result.data });
      }
    }
  }
  const ids = new Set(runs.map((r) => r.id));
  if (ids.size !== runs.length) throw new SpecError(`spec '${spec.name}': two runs share an id (repeated grid values?)`);
  return runs;
}
