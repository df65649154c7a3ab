import { takeBuffer } from './buffer-pool.js';
import { noteTensorCreated } from './recycling-scope.js';
import { checkShape, formatShape, ShapeError, shapesEqual, sizeOf, type Shape } from './shape.js';
import { globalRng, type Rng } from './rng.js';

/** Element type of a tensor: float32 for values, int32 for class labels and indices. */
export type DType = 'float32' | 'int32';

/**
 * A node of the autograd tape: the op that produced a tensor, where its inputs' gradients go, and
 * how to turn the output's gradient into them. `backward` is dropped once used, which releases
 * everything its closure saved (intermediate buffers go as soon as backward is done with them).
 *
 * The graph links nodes, not intermediate tensors (as PyTorch's grad_fn.next_functions): an input
 * produced by an op is represented by that op's node, so an activation that no backward saved
 * (a batch norm's output feeding a ReLU, a residual sum) is freed right after the forward pass
 * unless the caller keeps it. Leaf inputs (parameters, data) are held as themselves.
 *
 * The node also carries the engine that back-propagates through its graph: the engine lives in
 * the autograd layer, above this one, so the tape hands it to every node it records instead of
 * this module importing it (or waiting for it to be installed). A tensor with a node can always
 * run `backward()`; one without is a leaf, whose gradient is the seed itself.
 */
export interface GradNode {
  readonly name: string;
  /** Per input: the node that produced it, or the input itself when it is a leaf. */
  readonly inputs: readonly (GradNode | Tensor)[];
  /** Shape of the output, i.e. of the gradient this node receives. */
  readonly shape: readonly number[];
  /** The output tensor, linked only once it has gradient hooks or retains its gradient. */
  output: Tensor | null;
  /** `gradOutputIsFree`: nothing else reads `gradOutput`, so the function may overwrite and return it. */
  backward: ((gradOutput: Tensor, gradOutputIsFree?: boolean) => readonly (Tensor | null)[]) | null;
  /**
   * Inputs whose storage nothing but this node's backward reads (an intermediate a fused layer
   * made and handed to this op alone): the engine recycles it once that backward has run.
   */
  ownedInputs?: Tensor[] | null;
  /** Back-propagates from a tensor this node produced (autograd's `runBackward`). */
  readonly engine: BackwardEngine;
}

/** Back-propagate from `root` with seed `grad` (1 for a scalar when undefined). */
export type BackwardEngine = (root: Tensor, grad: Tensor | undefined, retainGraph: boolean) => void;

/** A hook on a tensor's gradient; returning a tensor replaces the gradient. */
export type GradHook = (grad: Tensor) => Tensor | void;

/** A dense, contiguous, row-major tensor of float32 (or int32 for labels and indices). */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  private storage: Float32Array | Int32Array | null;
  requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: GradNode | null = null;
  private hookList: GradHook[] | null = null;
  private retaining = false;

  constructor(data: Float32Array | Int32Array, shape: Shape) {
    checkShape(shape, 'Tensor');
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`Tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
    }
    this.storage = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    noteTensorCreated(this);
  }

  /** The storage: row-major values. Throws once it has been recycled (`recycleTensors`, `recycleNow`). */
  get data(): Float32Array | Int32Array {
    const storage = this.storage;
    if (storage === null) {
      throw new Error(
        `tensor ${formatShape(this.shape)}: its storage was recycled when the recycleTensors scope that created it ended, ` +
        'or once the one backward that read it had run ' +
        '(return it from the scope or pass it to keepTensor to use it afterwards)',
      );
    }
    return storage;
  }

  /** Whether a `recycleTensors` scope has taken this tensor's storage back. */
  get isReleased(): boolean {
    return this.storage === null;
  }

  /** Called by `recycleTensors` only, when it has given this tensor's storage back to the pool. */
  markReleased(): void {
    this.storage = null;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The float32 storage; throws for an int32 tensor. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got int32 ${formatShape(this.shape)}`);
    return this.data;
  }

  /** The int32 storage; throws for a float32 tensor. */
  get i32(): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new TypeError(`expected an int32 tensor, got float32 ${formatShape(this.shape)}`);
    return this.data;
  }

  /** Hooks run when this tensor's gradient has been computed. */
  get gradHooks(): GradHook[] | null {
    return this.hookList;
  }

  set gradHooks(hooks: GradHook[] | null) {
    this.hookList = hooks;
    if (hooks) this.linkToGraph();
  }

  /** Keep `.grad` on a non-leaf tensor (PyTorch's retain_grad). */
  get retainsGrad(): boolean {
    return this.retaining;
  }

  set retainsGrad(flag: boolean) {
    this.retaining = flag;
    if (flag) this.linkToGraph();
  }

  /** The engine reaches a non-leaf tensor only through its node: link it once it needs reaching. */
  private linkToGraph(): void {
    if (this.gradFn) this.gradFn.output = this;
  }

  /** Whether this tensor was created by the user rather than by an op on the tape. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** A copy of the values. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.data);
  }

  /** Nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const build = (offset: number, dim: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(offset + i * stride, dim + 1));
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    return this.data[0]!;
  }

  /** Mark as needing a gradient (leaf tensors only); returns this for chaining. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad');
    if (flag && this.dtype !== 'float32') throw new TypeError('requiresGrad_: only float32 tensors can require gradients');
    this.requiresGrad = flag;
    return this;
  }

  /** The same values, cut from the tape. Shares storage. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** An independent copy, cut from the tape. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Back-propagate from this tensor; `grad` defaults to 1 for a scalar. */
  backward(grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (this.gradFn) {
      this.gradFn.engine(this, grad, options.retainGraph ?? false);
      return;
    }
    // A leaf: ∂x/∂x = 1, so its gradient is the seed, through its hooks, added to what it has.
    if (!this.requiresGrad) throw new Error('backward: this tensor does not require a gradient (no input had requiresGrad)');
    if (grad === undefined && this.size !== 1) throw new Error(`backward: a gradient must be given for a non-scalar output of shape ${formatShape(this.shape)}`);
    if (grad && !shapesEqual(grad.shape, this.shape)) throw new Error(`backward: gradient shape ${formatShape(grad.shape)} does not match output shape ${formatShape(this.shape)}`);
    let g = grad ?? ones(this.shape);
    let own = grad === undefined; // a tensor nobody else holds can become .grad as it is
    for (const hook of this.gradHooks ?? []) {
      const replaced = hook(g);
      if (replaced) [g, own] = [replaced, false];
    }
    if (!this.grad) {
      this.grad = own ? g : g.clone();
      return;
    }
    const total = this.grad.f32;
    const add = g.f32;
    for (let i = 0; i < total.length; i++) total[i]! += add[i]!;
  }

  /** Call `hook` with this tensor's gradient during backward; returns a remover. */
  registerHook(hook: GradHook): () => void {
    (this.gradHooks ??= []).push(hook);
    this.linkToGraph();
    return () => {
      const i = this.gradHooks?.indexOf(hook) ?? -1;
      if (i >= 0) this.gradHooks!.splice(i, 1);
    };
  }

  /** Keep the gradient of this non-leaf tensor in `.grad` after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** The values as PyTorch prints them: `tensor([[1.0, 2.0], [3.0, 4.0]])`. */
  toString(): string {
    const fmt = (v: number): string => (this.dtype === 'int32' ? String(v) : formatNumber(v));
    const render = (offset: number, dim: number, indent: string): string => {
      if (dim === this.shape.length) return fmt(this.data[offset]!);
      const n = this.shape[dim]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      const show = n > 8 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : [...Array(n).keys()];
      const parts = show.map((i) => (i < 0 ? '...' : render(offset + i * stride, dim + 1, indent + ' ')));
      const sep = dim === this.shape.length - 1 ? ', ' : `,\n${indent} `;
      return `[${parts.join(sep)}]`;
    };
    const grad = this.gradFn ? `, gradFn=${this.gradFn.name}` : this.requiresGrad ? ', requiresGrad=true' : '';
    return `tensor(${render(0, 0, '       ')}, shape=${formatShape(this.shape)}${this.dtype === 'int32' ? ', dtype=int32' : ''}${grad})`;
  }
}

/** A number or nested arrays of numbers, as `tensor()` takes and `toArray()` returns (`[[1, 2], [3, 4]]`). */
export type NestedArray = number | NestedArray[];

function flattenNested(data: NestedArray[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedArray): void => {
    if (Array.isArray(v)) for (const e of v) walk(e);
    else out.push(v);
  };
  walk(data);
  return out;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return v.toFixed(1);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toFixed(4);
}

// ---- creation ----------------------------------------------------------------------------------

export interface CreateOptions {
  requiresGrad?: boolean;
}

function finish(t: Tensor, options?: CreateOptions): Tensor {
  if (options?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A zero-filled float32 tensor whose storage comes from the active backend. */
export function empty(shape: Shape): Tensor {
  checkShape(shape, 'empty');
  return new Tensor(takeBuffer(sizeOf(shape), true), shape);
}

/**
 * A float32 tensor whose values are unspecified, for an op whose kernel then writes every element
 * (PyTorch's torch.empty): it skips the zero-fill, which for recycled storage is a full pass over
 * memory. Ops only; anything that reads before writing must use `empty`/`zeros`.
 */
export function uninitialized(shape: Shape): Tensor {
  checkShape(shape, 'uninitialized');
  return new Tensor(takeBuffer(sizeOf(shape), false), shape);
}

/**
 * A tensor of `shape` filled with 0.
 *
 * @example zeros([2, 3]) // (2, 3) float32 zeros
 */
export function zeros(shape: Shape, options?: CreateOptions): Tensor {
  return finish(empty(shape), options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options?: CreateOptions): Tensor {
  const t = empty(shape);
  t.f32.fill(value);
  return finish(t, options);
}

/** A tensor of `shape` filled with 1. */
export function ones(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 1, options);
}

/** Zeros of the same shape and dtype as `t`. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

/** Values start, start+step, … below end. */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = empty([n]);
  for (let i = 0; i < n; i++) t.f32[i] = start + i * step;
  return t;
}

/** A tensor from flat or nested numbers; `shape` defaults to the nesting. */
export function tensor(data: ArrayLike<number> | NestedArray, shape?: Shape, options?: CreateOptions & { dtype?: DType }): Tensor {
  let flat: number[] | ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (Array.isArray(data)) {
    inferred = [];
    let level: NestedArray = data;
    while (Array.isArray(level)) {
      inferred.push(level.length);
      level = level[0] as NestedArray;
    }
    flat = flattenNested(data);
  } else {
    flat = data;
    inferred = [data.length];
  }
  const finalShape = shape ?? inferred;
  const dtype = options?.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  if (flat.length !== sizeOf(finalShape)) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${formatShape(finalShape)}`);
  }
  if (dtype === 'int32') return new Tensor(Int32Array.from(flat), finalShape);
  const t = empty(finalShape);
  t.f32.set(flat);
  return finish(t, options);
}

/** Standard normal values. */
export function randn(shape: Shape, options?: CreateOptions & { rng?: Rng }): Tensor {
  const rng = options?.rng ?? globalRng();
  const t = empty(shape);
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return finish(t, options);
}

/** Uniform values in [low, high). */
export function uniform(shape: Shape, low = 0, high = 1, options?: CreateOptions & { rng?: Rng }): Tensor {
  const rng = options?.rng ?? globalRng();
  const t = empty(shape);
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return finish(t, options);
}

/** Uniform values in [0, 1). */
export function rand(shape: Shape, options?: CreateOptions & { rng?: Rng }): Tensor {
  return uniform(shape, 0, 1, options);
}

/** An int32 tensor (labels, indices). */
export function intTensor(data: ArrayLike<number>, shape?: Shape): Tensor {
  return new Tensor(Int32Array.from(data), shape ?? [data.length]);
}
