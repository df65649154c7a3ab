import { releaseBuffer, trackAllocations } from './buffer-pool.js';
import type { Tensor } from './tensor.js';

/**
 * Recycling the activations of a training step. PyTorch frees an activation the moment its last
 * reference goes (reference counting); JavaScript only learns that at the next garbage
 * collection, so without help every step allocates its forward activations afresh (page faults,
 * zero-fills by the kernel) and the collector runs several times per step on "external memory
 * pressure", pausing the JavaScript thread and taking the second core from the kernels. The
 * backward engine already recycles gradients, whose lifetimes it can prove (`autograd/tape.ts`);
 * activations are reachable from user code, so proving their death needs the caller's word.
 *
 * `recycleTensors(fn)` is that word, as TensorFlow.js's `tidy`: every tensor `fn` creates is
 * done with when `fn` returns, except the tensors it returns and those passed to `keepTensor`.
 * Their storage goes back to the pool, and the next step's forward pass reuses it. Using such a
 * tensor afterwards throws (`Tensor.data` checks), so a mistake is an error, never another
 * tensor's values read silently.
 *
 * The price: the scope holds everything it saw until it ends, including intermediates no
 * backward needs, which the collector could have freed mid-step, and activations whose backward
 * has already run, whose storage the gradients below could have reused. Fused layers avoid the
 * first by not making such intermediates and hand over the second (`recycleNow`, called by the
 * autograd engine; bench/README.md's memory section measures the effect). So a scope should wrap
 * one training step, not an inference loop over a test set, where nothing is saved for backward
 * and every activation could die as soon as it is used.
 */

interface Scope {
  /** Storage `takeBuffer` handed out in this scope (outside backward functions, see tape.ts). */
  readonly allocated: Map<ArrayBufferLike, Float32Array>;
  /** Tensors created in this scope, to be marked released if their storage is. */
  readonly tensors: Tensor[];
  /** Storage passed to `keepTensor`: it outlives every enclosing scope. */
  readonly kept: Set<ArrayBufferLike>;
  /** The scope this one runs in: it takes over what this one does not release. */
  readonly parent: Scope | null;
}

let active: Scope | null = null;

/** Called by the Tensor constructor: a tensor made inside a scope may lose its storage at its end. */
export function noteTensorCreated(t: Tensor): void {
  if (active !== null) active.tensors.push(t);
}

/** Keep `t`'s storage past the end of every enclosing `recycleTensors` scope. Returns `t`. */
export function keepTensor(t: Tensor): Tensor {
  if (active !== null) active.kept.add(t.data.buffer);
  return t;
}

/**
 * Give `t`'s storage back to the pool now, before any scope ends, and mark `t` released (using it
 * throws). For the autograd engine, once the only backward that reads an intermediate has run: a
 * scope would otherwise hold it to the end of the step, over the whole backward pass, whose
 * gradients (the same shapes) could have reused it. The caller vouches that no other tensor
 * views the storage. Storage an enclosing scope keeps stays; storage that is not a whole pooled
 * float32 array is left to its scope or the garbage collector. Returns whether it was recycled.
 */
export function recycleNow(t: Tensor): boolean {
  if (t.isReleased || t.dtype !== 'float32') return false;
  const data = t.f32;
  const buffer = data.buffer;
  for (let scope = active; scope !== null; scope = scope.parent) if (scope.kept.has(buffer)) return false;
  let owner: Float32Array | undefined;
  // Whichever scope's ledger holds it (its own, or an outer one it was handed to) must not release it again.
  for (let scope = active; scope !== null && owner === undefined; scope = scope.parent) {
    owner = scope.allocated.get(buffer);
    if (owner !== undefined) scope.allocated.delete(buffer);
  }
  if (owner === undefined && (data.byteOffset !== 0 || data.byteLength !== buffer.byteLength)) return false;
  t.markReleased();
  releaseBuffer(owner ?? data);
  return true;
}

/** The storage of the tensors in a scope's result: a tensor, or arrays / plain objects holding them. */
function resultStorage(value: unknown, into: Set<ArrayBufferLike>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) into.add(value.data.buffer);
  else if (Array.isArray(value)) for (const v of value) resultStorage(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) resultStorage(v, into, seen);
}

// Structural, so this module needs no runtime import of tensor.ts (which imports it).
const isTensor = (value: object): value is Tensor => 'markReleased' in value && 'shape' in value;

/** Hand what `scope` did not release to the enclosing scope, which decides at its own end. */
function handToParent(scope: Scope, parent: Scope | null, survivors: Iterable<[ArrayBufferLike, Float32Array]>, tensors: Iterable<Tensor>): void {
  if (parent === null) return;
  for (const [buffer, data] of survivors) parent.allocated.set(buffer, data);
  for (const t of tensors) parent.tensors.push(t);
  for (const buffer of scope.kept) parent.kept.add(buffer);
}

/**
 * Run `fn` (synchronous) and recycle the storage of every tensor it created, except those in its
 * result (a tensor, or arrays / plain objects of them) and those passed to `keepTensor`. Scopes
 * nest: what an inner scope returns belongs to the outer one. Gradients stored in `.grad`,
 * optimizer state and module buffers are never affected: the backward engine and the optimizers
 * allocate them outside any scope's ledger. If `fn` throws, nothing is recycled.
 */
export function recycleTensors<T>(fn: () => T): T {
  const parent = active;
  const scope: Scope = { allocated: new Map(), tensors: [], kept: new Set(), parent };
  const previousTracker = trackAllocations(scope.allocated);
  active = scope;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    handToParent(scope, parent, scope.allocated, scope.tensors);
    throw error;
  } finally {
    active = parent;
    trackAllocations(previousTracker);
  }
  if (result instanceof Promise) {
    handToParent(scope, parent, scope.allocated, scope.tensors);
    throw new Error('recycleTensors: the function must be synchronous (it returned a Promise)');
  }
  const surviving = new Set<ArrayBufferLike>(scope.kept);
  resultStorage(result, surviving, new Set());
  const survivors: [ArrayBufferLike, Float32Array][] = [];
  for (const [buffer, data] of scope.allocated) {
    if (surviving.has(buffer)) survivors.push([buffer, data]);
    else releaseBuffer(data);
  }
  const living: Tensor[] = [];
  for (const t of scope.tensors) {
    if (t.isReleased) continue;
    const buffer = t.data.buffer;
    if (scope.allocated.has(buffer) && !surviving.has(buffer)) t.markReleased();
    else living.push(t);
  }
  handToParent(scope, parent, survivors, living);
  return result;
}
