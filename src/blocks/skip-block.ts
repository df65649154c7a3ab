import { relu } from '../autograd/functions/unary.js';
import type { Module } from '../nn/module.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { zerosLike, type Tensor } from '../tensor/tensor.js';
import type { SkipKind } from './skip.js';

/**
 * How a junction combines its branch F(x) with what its skip carries, S(x):
 *
 * - `add`      y = F(x) + S(x)                      (pre-activation ResNet, pre-LN transformer)
 * - `add-relu` y = relu(F(x) + S(x))                (the original ResNet, He et al. 2015 Fig. 2)
 * - `gated`    y = F(x)·T(x) + S(x)·(1 − T(x))      (highway, Srivastava et al. 2015 eq. 3)
 * - `concat`   y = [S(x), F(x)] along channels      (DenseNet, U-Net)
 *
 * A plain twin keeps its junctions' merge and has no skip: y = join(F(x), null), which is F(x)
 * (through the ReLU for `add-relu`).
 */
export type MergeKind = 'add' | 'add-relu' | 'gated' | 'concat';

/**
 * One junction of a skip block, for one forward pass: the point where the branch and the skip
 * meet. The block creates it with its input bound, so the parts are computed only when asked
 * for, and computed the way the forward pass computes them (drop-path and dropout included).
 *
 * @example
 *   // The ordinary forward of a junction:
 *   const y = junction.join(junction.branch(), junction.shortcut());
 */
export interface SkipJunction {
  /** What the skip carries (`none` in a plain twin). */
  readonly kind: SkipKind;
  readonly merge: MergeKind;
  /** x, the junction's input. */
  readonly input: Tensor;
  /** F(x), the branch, as it enters the merge. */
  branch(): Tensor;
  /** S(x), what the skip carries to the merge; null in a plain twin. */
  shortcut(): Tensor | null;
  /** The junction's output for the given branch and skip values (skip null: a plain twin). */
  join(branch: Tensor, shortcut: Tensor | null): Tensor;
  /** T(x), the transform gate of a `gated` junction with a skip (Srivastava et al. 2015 eq. 3). */
  readonly gate?: () => Tensor;
}

/** How to evaluate one junction: `evaluateJunction` is the ordinary forward; analysis substitutes others. */
export type JunctionRule = (junction: SkipJunction) => Tensor;

/**
 * A block that owns skips (DESIGN.md decision 4), seen by analysis through its junctions only:
 * a residual block has one, a pre-LN transformer block two (attention, MLP), a dense block one
 * per layer (each appends its features to what the skip carries), a U-Net level one.
 *
 * @example
 *   const y = block.forwardJunctions(x, evaluateJunction); // equals block.forward(x)
 *   const lesioned = block.forwardJunctions(x, withoutBranch);
 */
export interface SkipBlock {
  /** The kind of the block's skip, as `skips()` lists it (`none` in a plain twin). */
  readonly skipKind: SkipKind;
  /** The block's output with each junction, in forward order, evaluated by `rule`. */
  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor;
  /**
   * Set the block's weights so that it computes y = x on the inputs it sees in its net (the
   * non-negative output of a ReLU where one precedes it), for the construction argument of He
   * et al. 2015 §1. Throws, naming the reason, when the block cannot (it changes the shape).
   */
  makeIdentity(): void;
}

/** Whether `module` implements `SkipBlock`. */
export function isSkipBlock(module: Module): module is Module & SkipBlock {
  const candidate = module as Partial<SkipBlock>;
  return typeof candidate.forwardJunctions === 'function' && typeof candidate.makeIdentity === 'function' && typeof candidate.skipKind === 'string';
}

/** The module at `path` as a skip block, or an error naming the path. */
export function asSkipBlock(module: Module, path: string): Module & SkipBlock {
  if (!isSkipBlock(module)) {
    throw new Error(`'${path}' (${module.constructor.name}) is listed as a skip block but does not implement SkipBlock (skipKind, forwardJunctions, makeIdentity)`);
  }
  return module;
}

/** The ordinary forward of a junction: y = join(F(x), S(x)). */
export const evaluateJunction: JunctionRule = (j) => j.join(j.branch(), j.shortcut());

/** Thrown by a rule that cannot apply to a junction (for example bypassing one that changes the shape). */
export class JunctionError extends Error {
  override name = 'JunctionError';
}

/**
 * The junction with its branch deleted (a lesion, Veit et al. 2016 §4: "output = shortcut(x)"):
 * y = join(0, S(x)), which is S(x) for `add`, relu(S(x)) for `add-relu` and [S(x), 0] for
 * `concat`. A gated junction is deleted the way Srivastava et al. 2015 §5.2 lesion highway layers
 * (Fig. 4), by closing its transform gate: y = S(x) = x. A plain twin's junction has no skip, so
 * it is bypassed, y = x, which is possible only when it keeps its input's shape.
 */
export const withoutBranch: JunctionRule = (j) => {
  const shortcut = j.shortcut();
  if (!shortcut) {
    const y = j.join(j.branch(), null);
    if (!shapesEqual(y.shape, j.input.shape)) {
      throw new JunctionError(`has no skip and changes its input's shape ${formatShape(j.input.shape)} -> ${formatShape(y.shape)}; it cannot be bypassed`);
    }
    return j.input;
  }
  switch (j.merge) {
    case 'add':
    case 'gated':
      return shortcut;
    case 'add-relu':
      return relu(shortcut);
    case 'concat':
      return j.join(zerosLike(j.branch()), shortcut);
    default:
      return unknownMerge(j.merge);
  }
};

/** Whether a junction sums its branch and skip, so that every path through it takes exactly one of them. */
export function isAdditive(merge: MergeKind): boolean {
  return merge === 'add' || merge === 'add-relu';
}

/**
 * The junction's output with the backward pass routed through one path only (Veit et al. 2016
 * §4.2): the same forward value, with the other path's value detached so no gradient flows
 * through it. Only additive junctions with a skip split into a branch path and a skip path.
 */
export function routeThrough(j: SkipJunction, through: 'branch' | 'skip'): Tensor {
  const shortcut = j.shortcut();
  if (!shortcut) throw new JunctionError('has no skip to route the backward pass through (a plain twin)');
  if (!isAdditive(j.merge)) throw new JunctionError(`merges by '${j.merge}', not by addition, so its paths do not split into branch and skip`);
  const branch = j.branch();
  return j.join(through === 'branch' ? branch : branch.detach(), through === 'skip' ? shortcut : shortcut.detach());
}

function unknownMerge(merge: never): never {
  throw new Error(`unknown merge '${String(merge)}'`);
}
