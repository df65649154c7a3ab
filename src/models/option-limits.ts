import type { ModelOptionName, ModelOptions } from './registry.js';

/**
 * Bounds on the numeric model options, checked before a model is built so that a value no
 * experiment needs (`width: 1e8`, `depth: -3`, `dropout: 2`) is an error naming the option
 * instead of an "Invalid typed array length" from deep inside a layer, or minutes of
 * allocation. The bounds sit well beyond the papers' largest settings (ResNet-1202 on CIFAR,
 * He et al. 2015 §4.2; DenseNet-BC k = 48; 4096-wide layers), so they never stand in the way of
 * a real experiment. A plain typed table rather than a zod schema: the registry is bundled into
 * the browser lab, and zod would quadruple its worker script.
 */
interface Bound {
  integer?: boolean;
  /** Inclusive unless `minExclusive`. */
  min: number;
  minExclusive?: boolean;
  /** Inclusive unless `maxExclusive`. */
  max: number;
  maxExclusive?: boolean;
}

const count = (max: number): Bound => ({ integer: true, min: 1, max });
const fraction: Bound = { min: 0, minExclusive: true, max: 1 };

const numericLimits: Partial<Record<ModelOptionName, Bound>> = {
  depth: count(2000),
  width: count(16_384),
  baseWidth: count(4096),
  growthRate: count(1024),
  compression: fraction,
  initFeatures: count(4096),
  survivalProbability: fraction,
  inFeatures: count(16_777_216),
  inChannels: count(4096),
  numClasses: count(100_000),
  gateBias: { min: -100, max: 100 },
  levels: count(10),
  imageSize: count(8192),
  imageWidth: count(8192),
  mlpRatio: { min: 0, minExclusive: true, max: 64 },
  dim: count(16_384),
  heads: count(1024),
  layers: count(1000),
  dropout: { min: 0, max: 1, maxExclusive: true },
};

function problem(value: unknown, bound: Bound): string | null {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'must be a number';
  if (bound.integer && !Number.isInteger(value)) return 'must be an integer';
  if (bound.minExclusive ? !(value > bound.min) : !(value >= bound.min)) return `must be ${bound.minExclusive ? 'above' : 'at least'} ${bound.min}`;
  if (bound.maxExclusive ? !(value < bound.max) : !(value <= bound.max)) return `must be ${bound.maxExclusive ? 'below' : 'at most'} ${bound.max}`;
  return null;
}

/** Throw an error naming every numeric option of `options` that is out of its bounds. */
export function checkModelOptionLimits(model: string, options: ModelOptions): void {
  const problems: string[] = [];
  for (const [option, bound] of Object.entries(numericLimits)) {
    const value = (options as Record<string, unknown>)[option];
    if (value === undefined) continue;
    const wrong = problem(value, bound);
    if (wrong) problems.push(`option '${option}' = ${JSON.stringify(value)} ${wrong}`);
  }
  if (problems.length > 0) throw new Error(`createModel('${model}'): ${problems.join('; ')}`);
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
