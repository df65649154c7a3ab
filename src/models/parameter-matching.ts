import { structureOnlyRng } from './catalog.js';
import { createModel, listModels, type ModelOptionName, type ModelOptions } from './registry.js';

/** A plain twin widened until it has about its model's parameter count: the option widened, its value, and both counts. */
export interface MatchedTwin {
  /** The model's width option ('width', 'growthRate', 'baseWidth'). */
  option: ModelOptionName;
  /** The value of that option the model has. */
  from: number;
  /** The value whose plain twin's count is nearest the model's. */
  value: number;
  /** The model's parameter count (with its skips). */
  modelParameters: number;
  /** The widened twin's. */
  parameters: number;
}

/**
 * The whole-number width whose count is nearest `target` (a tie goes to the narrower), for a
 * count that grows with the width: a bracket is found by growing (by quarters) or halving from
 * `from`, then bisected, so `count` (a model build, say) runs O(log width) times.
 */
export function nearestWidth(count: (width: number) => number, target: number, from = 1): number {
  const cache = new Map<number, number>();
  const at = (width: number): number => cache.get(width) ?? cache.set(width, count(width)).get(width)!;
  let low = Math.max(1, Math.floor(from));
  let high = low;
  if (at(low) >= target) {
    while (low > 1 && at(low) >= target) [high, low] = [low, Math.max(1, Math.floor(low / 2))];
    if (at(low) >= target) return low; // even width 1 reaches it
  } else {
    // Steps of a quarter: a twin needs a little more width, and a build twice as wide as the
    // model (a 124M-parameter U-Net) costs far more than a few more bisection steps.
    const step = (width: number) => Math.max(width + 1, Math.ceil(width * 1.25));
    high = step(low);
    while (at(high) < target) [low, high] = [high, step(high)];
  }
  // Bracketed: at(low) < target <= at(high).
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (at(middle) < target) low = middle;
    else high = middle;
  }
  return target - at(low) <= at(high) - target ? low : high;
}

/**
 * The plain twin (skip 'none') of a registered model, widened by the model's width option until
 * its parameter count is nearest the model's — the comparison Srivastava et al. 2015 §4.1 made
 * (plain nets of 71 units against highway nets of 50). Null when the twin already has the same
 * count (option A ResNets, transformers: the skips add no parameters) or the model has no
 * width option. Models are built with a structure-only generator, for counting.
 *
 * @example parameterMatchedTwin('densenet_bc_100') // { option: 'growthRate', from: 12, value: …, … }
 */
export function parameterMatchedTwin(name: string, options: ModelOptions = {}): MatchedTwin | null {
  const info = listModels().find((m) => m.name === name);
  if (!info) throw new Error(`parameterMatchedTwin: unknown model '${name}'`);
  if (!info.twinWidth || !info.skipOptions.includes('none')) return null;
  const count = (o: ModelOptions) => createModel(name, { ...o, rng: structureOnlyRng() }).parameterCount();
  const { option } = info.twinWidth;
  const given = options[option];
  const from = typeof given === 'number' ? given : info.twinWidth.default;
  const modelParameters = count(options);
  const twinAt = (width: number) => count({ ...options, skip: 'none', ...widthOf(option, width) });
  if (twinAt(from) === modelParameters) return null;
  const value = nearestWidth(twinAt, modelParameters, from);
  return { option, from, value, modelParameters, parameters: twinAt(value) };
}

/** `{ [option]: width }` as model options. */
function widthOf(option: ModelOptionName, width: number): ModelOptions {
  const options: Record<string, number> = { [option]: width };
  return options as ModelOptions;
}
