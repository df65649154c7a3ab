import { z } from 'zod';
import type { ModelOptionName, ModelOptions } from './registry.js';

/**
 * Bounds on the numeric model options, checked before a model is built so that a value no
 * experiment needs (`width: 1e8`, `depth: -3`, `dropout: 2`) is an error naming the option
 * instead of an "Invalid typed array length" from deep inside a layer, or minutes of
 * allocation. The bounds sit well beyond the papers' largest settings (ResNet-1202 on CIFAR,
 * He et al. 2015 §4.2; DenseNet-BC k = 48; 4096-wide layers), so they never stand in the way of
 * a real experiment.
 */
const number = () => z.number({ error: 'must be a number' });
const count = (max: number) => number().int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const fraction = number().gt(0, 'must be above 0').max(1, 'must be at most 1');

const numericLimits = {
  depth: count(2000),
  width: count(16_384),
  baseWidth: count(4096),
  growthRate: count(1024),
  compression: fraction,
  survivalProbability: fraction,
  inFeatures: count(16_777_216),
  inChannels: count(4096),
  numClasses: count(100_000),
  gateBias: number().min(-100, 'must be at least -100').max(100, 'must be at most 100'),
  levels: count(10),
  imageSize: count(8192),
  imageWidth: count(8192),
  mlpRatio: number().gt(0, 'must be above 0').max(64, 'must be at most 64'),
  dim: count(16_384),
  heads: count(1024),
  layers: count(1000),
  dropout: number().min(0, 'must be at least 0').lt(1, 'must be below 1'),
} satisfies Partial<Record<ModelOptionName, z.ZodType<number>>>;

const numericOptionsSchema = z.object(numericLimits).partial();

/** Throw an error naming every numeric option of `options` that is out of its bounds. */
export function checkModelOptionLimits(model: string, options: ModelOptions): void {
  const numeric: Record<string, unknown> = {};
  for (const key of Object.keys(numericLimits)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) numeric[key] = value;
  }
  const parsed = numericOptionsSchema.safeParse(numeric);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((i) => `option '${i.path.join('.')}' = ${JSON.stringify(numeric[String(i.path[0])])} ${i.message}`);
  throw new Error(`createModel('${model}'): ${problems.join('; ')}`);
}

/**
 * Build a model, turning a failed allocation (options that pass their bounds one by one but not
 * together, e.g. a huge width on huge images) into an error naming the model and its options.
 */
export function buildWithinMemory<M>(model: string, options: ModelOptions, build: () => M): M {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof RangeError) || !/array length|allocation|buffer/i.test(error.message)) throw error;
    const { rng: _rng, ...shown } = options;
    throw new Error(`createModel('${model}'): the model is too large to allocate with options ${JSON.stringify(shown)} (${error.message})`);
  }
}
