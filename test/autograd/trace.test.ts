import { describe, expect, it } from 'vitest';
import { add, conv2d, noGrad, pad, relu, traceOps, type TracedOp } from '../../src/autograd/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

const tensor = (shape: number[]): Tensor => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 10), shape);

describe('traceOps', () => {
  it('reports each op with its inputs, output and attributes, also under noGrad', () => {
    const x = tensor([1, 2, 5, 5]);
    const w = tensor([3, 2, 3, 3]);
    const ops: TracedOp[] = [];
    const y = traceOps((op) => ops.push(op), () => noGrad(() => relu(add(conv2d(x, w, null, { stride: 2, padding: 1 }), tensor([3, 1, 1])))));
    expect(ops.map((o) => o.op)).toEqual(['conv2d', 'add', 'relu']);
    const conv = ops[0]!;
    if (conv.op !== 'conv2d') throw new Error('expected conv2d');
    expect(conv.inputs).toEqual([x, w]);
    expect(conv.attributes.stride).toEqual([2, 2]);
    expect(conv.attributes.padding).toEqual([1, 1]);
    expect(ops[1]!.inputs[0]).toBe(conv.output);
    expect(ops[2]!.output).toBe(y);
  });

  it('records per-axis pad amounts and stops observing when the function returns', () => {
    const ops: TracedOp[] = [];
    traceOps((op) => ops.push(op), () => pad(tensor([1, 2, 3, 3]), [0, 1, -1, 0]));
    const p = ops[0]!;
    if (p.op !== 'pad') throw new Error('expected pad');
    expect(p.attributes.before).toEqual([0, 0, -1, 0]);
    expect(p.attributes.after).toEqual([0, 0, 0, 1]);
    relu(tensor([2]));
    expect(ops).toHaveLength(1);
  });

  it('refuses to nest', () => {
    expect(() => traceOps(() => {}, () => traceOps(() => {}, () => 0))).toThrow(/already running/);
  });
});
