import { getBackend } from '../backend/select.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { releaseBuffer, startPoolGeneration, trackAllocations } from '../tensor/buffer-pool.js';
import { recycleNow } from '../tensor/recycling-scope.js';
import { ones, Tensor, uninitialized, type GradNode } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from './no-grad.js';
import { notifyOp, type AttributeArguments, type OpName } from './trace.js';

/**
 * The define-by-run tape. An op computes its output eagerly, then calls `record` with its inputs
 * and a closure that maps the output's gradient to the inputs' gradients. The closure holds
 * whatever the op saved for backward; the engine drops it as soon as it has run, so intermediate
 * buffers are released during the backward pass, not after it. The engine passes
 * `gradOutputIsFree` true when no other gradient, hook or `.grad` can see `gradOutput`: the
 * closure may then write an input's gradient over it and return it (one buffer fewer).
 */
export type BackwardFn = (gradOutput: Tensor, gradOutputIsFree?: boolean) => readonly (Tensor | null)[];

/**
 * Attach `backward` to `output` when recording is on and some input needs a gradient. Every op
 * also reports itself, with the attributes its table entry asks for, to a running `traceOps`
 * (the ONNX exporter), even under noGrad. The gradients `backward` returns are handed over to the
 * engine, which recycles their storage once they have been used: return them, do not keep them.
 */
export function record<K extends OpName>(
  name: K, inputs: readonly Tensor[], output: Tensor, backward: BackwardFn, ...[attributes]: AttributeArguments<K>
): Tensor {
  notifyOp(name, inputs, output, attributes);
  if (!isGradEnabled()) return output;
  let needed = false;
  for (const t of inputs) if (t.requiresGrad) needed = true;
  if (!needed) return output;
  output.requiresGrad = true;
  output.gradFn = { name, inputs: inputs.map((t) => t.gradFn ?? t), shape: output.shape, output: null, backward, engine: runBackward };
  return output;
}

/** A vertex of the graph: an op's node, or a leaf tensor. */
type Vertex = GradNode | Tensor;

/** Whether a gradient should flow into `v`: always for a node, for a leaf only when it asks. */
const wantsGrad = (v: Vertex): boolean => !(v instanceof Tensor) || v.requiresGrad;

/** Depth-first topological order of the graph below `root`, iteratively (deep nets overflow recursion). */
function topologicalOrder(root: Vertex): Vertex[] {
  const order: Vertex[] = [];
  const visited = new Set<Vertex>();
  const stack: [Vertex, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [v, next] = top;
    const inputs = v instanceof Tensor ? [] : v.inputs;
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next]!;
      if (!visited.has(child) && wantsGrad(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(v);
    }
  }
  return order.reverse();
}

/**
 * Who holds each gradient buffer during one backward pass. Storage that a backward function
 * allocated (`takeBuffer` reports it) and returned as a gradient is owned by the engine until it
 * escapes: stored as a `.grad`, or shown to a hook. `pending` counts the queued gradients that view each owned buffer
 * (`add` hands the same tensor to both inputs, `reshape` a view of it); at zero, with its
 * consumer's backward done, nothing can reach it and it goes back to the pool.
 */
class GradientLedger {
  readonly owned = new Map<ArrayBufferLike, Float32Array>();
  private readonly pending = new Map<ArrayBufferLike, number>();

  /** Owned and viewed by no queued gradient: free to overwrite in place or to release. */
  isFree(t: Tensor): boolean {
    const buffer = t.data.buffer;
    return this.owned.has(buffer) && !this.pending.get(buffer);
  }

  /** Owned and viewed by exactly one queued gradient (the caller's). */
  isExclusive(t: Tensor): boolean {
    const buffer = t.data.buffer;
    return this.owned.has(buffer) && this.pending.get(buffer) === 1;
  }

  queue(t: Tensor): void {
    const buffer = t.data.buffer;
    if (this.owned.has(buffer)) this.pending.set(buffer, (this.pending.get(buffer) ?? 0) + 1);
  }

  dequeue(t: Tensor): void {
    const buffer = t.data.buffer;
    const count = this.pending.get(buffer);
    if (count !== undefined) this.pending.set(buffer, count - 1);
  }

  /** Visible outside the engine from now on: never recycled. */
  escape(t: Tensor): void {
    this.owned.delete(t.data.buffer);
    this.pending.delete(t.data.buffer);
  }

  /** Recycle `t`'s storage if nothing else can reach it. */
  releaseIfFree(t: Tensor): void {
    const buffer = t.data.buffer;
    const data = this.owned.get(buffer);
    if (data === undefined || this.pending.get(buffer)) return;
    this.owned.delete(buffer);
    this.pending.delete(buffer);
    releaseBuffer(data);
  }
}

/**
 * The backward pass from `root` (reverse topological order over the nodes below it), with the
 * seed `grad` (1 for a scalar). Every node `record` creates carries this function as its engine,
 * which is how `Tensor.backward()` reaches it without the tensor layer importing autograd.
 */
function runBackward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) throw new Error('backward: this tensor does not require a gradient (no input had requiresGrad)');
  if (grad === undefined) {
    if (root.size !== 1) throw new Error(`backward: a gradient must be given for a non-scalar output of shape ${formatShape(root.shape)}`);
    grad = ones(root.shape);
  } else if (!shapesEqual(grad.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${formatShape(grad.shape)} does not match output shape ${formatShape(root.shape)}`);
  }
  const backend = getBackend();
  startPoolGeneration();
  const grads = new Map<Vertex, Tensor>();
  const ledger = new GradientLedger();
  // Buffers that may have become free; checked only once every input of the node has its
  // gradient, since one returned tensor can serve several inputs.
  const released: Tensor[] = [];
  // Storage allocated by the backward function running now.
  const fresh = new Map<ArrayBufferLike, Float32Array>();
  // Sum gradient g (already counted by the ledger) into vertex t's, in place in whichever operand
  // no one else views. Addition commutes exactly in floating point, so the result does not depend
  // on which operand is overwritten.
  const accumulate = (t: Vertex, g: Tensor): void => {
    const existing = grads.get(t);
    if (!existing) {
      grads.set(t, g);
    } else if (ledger.isExclusive(existing) && existing.data.buffer !== g.data.buffer) {
      backend.axpy(1, g.f32, existing.f32);
      ledger.dequeue(g);
      released.push(g);
    } else if (ledger.isExclusive(g)) {
      backend.axpy(1, existing.f32, g.f32);
      grads.set(t, g);
      ledger.dequeue(existing);
      released.push(existing);
    } else {
      const previous = trackAllocations(ledger.owned);
      const sum = uninitialized(t.shape);
      trackAllocations(previous);
      sum.f32.set(existing.f32);
      backend.axpy(1, g.f32, sum.f32);
      grads.set(t, sum);
      ledger.queue(sum);
      ledger.dequeue(existing);
      ledger.dequeue(g);
      released.push(existing, g);
    }
  };
  const rootVertex: Vertex = root.gradFn ?? root;
  grads.set(rootVertex, grad);
  noGrad(() => {
    for (const v of topologicalOrder(rootVertex)) {
      let g = grads.get(v);
      if (!g) continue;
      grads.delete(v);
      ledger.dequeue(g);
      // The user's tensor: a leaf itself, or a node's output once hooks or retainGrad linked it.
      const t = v instanceof Tensor ? v : v.output;
      if (t?.gradHooks && t.gradHooks.length > 0) {
        for (const hook of t.gradHooks) {
          ledger.escape(g);
          const replaced = hook(g);
          if (replaced) g = replaced;
        }
        ledger.escape(g);
      }
      if (t && (t.isLeaf || t.retainsGrad)) {
        if (t.grad) {
          backend.axpy(1, g.f32, t.grad.f32);
        } else if (ledger.isFree(g)) {
          // Nothing else views this buffer: keep it as .grad instead of copying it.
          t.grad = g;
          ledger.escape(g);
        } else {
          t.grad = g.clone();
        }
      }
      if (v instanceof Tensor) {
        ledger.releaseIfFree(g);
        continue;
      }
      const node = v;
      if (!node.backward) {
        throw new Error(`backward: the graph through '${node.name}' was already freed; pass { retainGraph: true } to the first backward`);
      }
      const previous = trackAllocations(fresh);
      let inputGrads: readonly (Tensor | null)[];
      try {
        inputGrads = node.backward(g, ledger.isFree(g));
      } finally {
        trackAllocations(previous);
      }
      if (!retainGraph) {
        node.backward = null;
        // Inputs only this backward read (recycleAfterBackward): their storage serves the gradients below.
        if (node.ownedInputs) for (const t of node.ownedInputs) recycleNow(t);
        node.ownedInputs = null;
      }
      const inputs = node.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i]!;
        const gi = inputGrads[i];
        if (!gi || !wantsGrad(input)) continue;
        if (!shapesEqual(gi.shape, input.shape)) {
          throw new Error(`backward of '${node.name}': gradient shape ${formatShape(gi.shape)} does not match input ${i} shape ${formatShape(input.shape)}`);
        }
        // Storage the backward function allocated and returned is the engine's from here on;
        // scratch it did not return is left to the garbage collector.
        const data = fresh.get(gi.data.buffer);
        if (data) ledger.owned.set(gi.data.buffer, data);
        ledger.queue(gi);
      }
      fresh.clear();
      for (let i = 0; i < inputs.length; i++) {
        const gi = inputGrads[i];
        if (gi && wantsGrad(inputs[i]!)) accumulate(inputs[i]!, gi);
      }
      ledger.releaseIfFree(g);
      for (const r of released) ledger.releaseIfFree(r);
      released.length = 0;
    }
  });
}

/**
 * Give a backward function's own temporary back to the pool now — one it allocated, read and
 * returns nowhere (the engine leaves such scratch to the garbage collector, which on a big step
 * lags by hundreds of megabytes). The caller vouches that nothing else can reach it.
 */
export function releaseTemporary(t: Tensor): void {
  releaseBuffer(t.f32);
}
