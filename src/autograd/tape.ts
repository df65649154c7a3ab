import { getBackend } from '../backend/select.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { installBackwardEngine, ones, Tensor } from '../tensor/tensor.js';
import { isGradEnabled, noGrad } from './no-grad.js';
import { notifyOp, type AttributeArguments, type OpName } from './trace.js';

/**
 * The define-by-run tape. An op computes its output eagerly, then calls `record` with its inputs
 * and a closure that maps the output's gradient to the inputs' gradients. The closure holds
 * whatever the op saved for backward; the engine drops it as soon as it has run, so intermediate
 * buffers are released during the backward pass, not after it.
 */
export type BackwardFn = (gradOutput: Tensor) => readonly (Tensor | null)[];

/**
 * Attach `backward` to `output` when recording is on and some input needs a gradient. Every op
 * also reports itself, with the attributes its table entry asks for, to a running `traceOps`
 * (the ONNX exporter), even under noGrad.
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
  output.gradFn = { name, inputs, backward };
  return output;
}

/** Whether op input `t` should receive a gradient (saves computing ones nobody needs). */
export function needsGrad(t: Tensor): boolean {
  return t.requiresGrad;
}

/** Depth-first topological order of the graph below `root`, iteratively (deep nets overflow recursion). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, next] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next]!;
      if (!visited.has(child) && child.requiresGrad) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

function runBackward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) throw new Error('backward: this tensor does not require a gradient (no input had requiresGrad)');
  if (grad === undefined) {
    if (root.size !== 1) throw new Error(`backward: a gradient must be given for a non-scalar output of shape ${formatShape(root.shape)}`);
    grad = ones(root.shape);
  } else if (!shapesEqual(grad.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${formatShape(grad.shape)} does not match output shape ${formatShape(root.shape)}`);
  }
  const backend = getBackend();
  const grads = new Map<Tensor, Tensor>();
  // Gradients the engine allocated itself may be accumulated into in place; others may alias.
  const owned = new Set<Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const existing = grads.get(t);
    if (!existing) {
      grads.set(t, g);
      return;
    }
    if (owned.has(existing)) {
      backend.axpy(1, g.f32, existing.f32);
    } else {
      const sum = existing.clone();
      backend.axpy(1, g.f32, sum.f32);
      owned.add(sum);
      grads.set(t, sum);
    }
  };
  grads.set(root, grad);
  noGrad(() => {
    for (const t of topologicalOrder(root)) {
      let g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (t.gradHooks) {
        for (const hook of t.gradHooks) {
          const replaced = hook(g);
          if (replaced) g = replaced;
        }
      }
      if (t.isLeaf || t.retainsGrad) {
        if (t.grad) backend.axpy(1, g.f32, t.grad.f32);
        else t.grad = g.clone();
        if (t.isLeaf) continue;
      }
      const node = t.gradFn!;
      if (!node.backward) {
        throw new Error(`backward: the graph through '${node.name}' was already freed; pass { retainGraph: true } to the first backward`);
      }
      const inputGrads = node.backward(g);
      if (!retainGraph) node.backward = null;
      node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        if (!shapesEqual(gi.shape, input.shape)) {
          throw new Error(`backward of '${node.name}': gradient shape ${formatShape(gi.shape)} does not match input ${i} shape ${formatShape(input.shape)}`);
        }
        accumulate(input, gi);
      });
    }
  });
}

installBackwardEngine(runBackward);

/** Make sure importing autograd installs the engine (used by modules that only need types). */
export const autogradReady = true;

/** New tensor of `shape` from the active backend, for op implementations. */
export { empty as allocate } from '../tensor/tensor.js';
export { Tensor };
