import type { BinaryOp } from '../../backend/backend.js';
import { getBackend } from '../../backend/select.js';
import { broadcastShapes } from '../../tensor/shape.js';
import { Tensor, uninitialized } from '../../tensor/tensor.js';
import { record } from '../tape.js';
import { sumToShape } from './broadcast.js';

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const outShape = broadcastShapes(a.shape, b.shape, op);
  const out = uninitialized(outShape);
  const backend = getBackend();
  backend.binary(op, a.f32, a.shape, b.f32, b.shape, out.f32, outShape);
  // Save only what this op's backward reads: add and sub need shapes alone, so their inputs (and
  // the output) can be freed after forward when nothing else holds them.
  const aShape = a.shape;
  const bShape = b.shape;
  const aNeeds = a.requiresGrad;
  const bNeeds = b.requiresGrad;
  const aData = op === 'mul' || op === 'maximum' || op === 'minimum' ? a.f32 : null;
  const bData = op === 'mul' || op === 'div' ? b.f32 : null;
  const outData = op === 'div' || op === 'maximum' || op === 'minimum' ? out.f32 : null;
  return record(op, [a, b], out, (dy) => {
    const g = dy.f32;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    switch (op) {
      case 'add':
        da = aNeeds ? sumToShape(dy, aShape) : null;
        db = bNeeds ? sumToShape(dy, bShape) : null;
        break;
      case 'sub': {
        da = aNeeds ? sumToShape(dy, aShape) : null;
        if (bNeeds) {
          const neg = uninitialized(outShape);
          backend.affine(g, -1, 0, neg.f32);
          db = sumToShape(neg, bShape);
        }
        break;
      }
      case 'mul': {
        if (aNeeds) {
          const t = uninitialized(outShape);
          backend.binary('mul', g, outShape, bData!, bShape, t.f32, outShape);
          da = sumToShape(t, aShape);
        }
        if (bNeeds) {
          const t = uninitialized(outShape);
          backend.binary('mul', g, outShape, aData!, aShape, t.f32, outShape);
          db = sumToShape(t, bShape);
        }
        break;
      }
      case 'div': {
        // d(a/b)/da = 1/b ; d(a/b)/db = −(a/b)/b = −out/b
        if (aNeeds) {
          const t = uninitialized(outShape);
          backend.binary('div', g, outShape, bData!, bShape, t.f32, outShape);
          da = sumToShape(t, aShape);
        }
        if (bNeeds) {
          const t = uninitialized(outShape);
          backend.binary('mul', g, outShape, outData!, outShape, t.f32, outShape);
          backend.binary('div', t.f32, outShape, bData!, bShape, t.f32, outShape);
          backend.affine(t.f32, -1, 0, t.f32);
          db = sumToShape(t, bShape);
        }
        break;
      }
      case 'maximum':
      case 'minimum': {
        // The gradient goes to whichever input was selected (to a on ties, as a mask a == out).
        const ta = uninitialized(outShape);
        const tb = uninitialized(outShape);
        const av = uninitialized(outShape);
        backend.binary('add', aData!, aShape, new Float32Array(1), [1], av.f32, outShape);
        for (let i = 0; i < g.length; i++) {
          const fromA = av.f32[i] === outData![i];
          ta.f32[i] = fromA ? g[i]! : 0;
          tb.f32[i] = fromA ? 0 : g[i]!;
        }
        da = aNeeds ? sumToShape(ta, aShape) : null;
        db = bNeeds ? sumToShape(tb, bShape) : null;
        break;
      }
    }
    return [da, db];
  });
}

/** a + b with broadcasting. */
export const add = (a: Tensor, b: Tensor): Tensor => binaryOp('add', a, b);
/** a − b with broadcasting. */
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp('sub', a, b);
/** a · b elementwise with broadcasting. */
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp('mul', a, b);
/** a / b elementwise with broadcasting. */
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp('div', a, b);
/** Elementwise maximum with broadcasting. */
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryOp('maximum', a, b);
/** Elementwise minimum with broadcasting. */
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryOp('minimum', a, b);
