import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormRelu } from '../../../src/autograd/functions/batch-norm.js';
import { noGrad } from '../../../src/autograd/no-grad.js';
import { traceOps } from '../../../src/autograd/trace.js';
import { buildOnnxModel } from '../../../src/io/onnx/export.js';
import { onnx, type OnnxProto } from '../../../src/io/onnx/onnx-schema.js';
import { createModel } from '../../../src/models/registry.js';
import { Buffer, Module, Parameter } from '../../../src/nn/module.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randn, type Tensor } from '../../../src/tensor/tensor.js';

/**
 * Batch norm fused with its ReLU (batchNormRelu) still exports as a BatchNormalization node and
 * a Relu node: the exporter's module hooks turn the layers' fusion off while tracing, and the
 * fused op itself, when a model calls it directly, has a rule that writes both nodes.
 */
beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

const opTypes = (bytes: Uint8Array): string[] => (onnx.ModelProto.decode(bytes).graph as OnnxProto.GraphProto).node.map((n) => n.opType!);
const count = (types: string[], type: string): number => types.filter((t) => t === type).length;

describe('ONNX export with batch norm + ReLU fusion', () => {
  it('exports ResNet-20 with a BatchNormalization and a Relu node per layer, and the model fuses again afterwards', () => {
    const model = createModel('resnet20', { rng: new Rng(3) });
    model.eval();
    const before: string[] = [];
    traceOps((op) => void before.push(op.op), () => noGrad(() => model.forward(randn([1, 3, 32, 32], { rng: new Rng(4) }))));
    expect(count(before, 'batchNormRelu')).toBe(10); // the stem and each block's first BN; the others precede an addition
    const types = opTypes(buildOnnxModel(model, randn([2, 3, 32, 32], { rng: new Rng(5) })).bytes);
    expect(count(types, 'BatchNormalization')).toBe(19);
    expect(count(types, 'Relu')).toBe(19);
    const after: string[] = [];
    traceOps((op) => void after.push(op.op), () => noGrad(() => model.forward(randn([1, 3, 32, 32], { rng: new Rng(4) }))));
    expect(after).toEqual(before);
  });

  it('exports a direct call of the fused op as the two nodes, with ONNX Runtime agreeing', async () => {
    const rng = new Rng(8);
    class FusedNorm extends Module {
      weight = new Parameter(Float32Array.from([0.7, -1.2, 1.5]), [3]);
      bias = new Parameter(Float32Array.from([0.1, 0.3, -0.2]), [3]);
      running_mean = new Buffer(Float32Array.from([0.2, -0.1, 0.05]), [3]);
      running_var = new Buffer(Float32Array.from([0.8, 1.4, 0.6]), [3]);
      forward(x: Tensor): Tensor {
        return batchNormRelu(x, this.running_mean, this.running_var, this.weight, this.bias, { training: this.training });
      }
    }
    const model = new FusedNorm();
    const exported = buildOnnxModel(model, randn([2, 3, 4, 5], { rng }));
    expect(opTypes(exported.bytes)).toEqual(['BatchNormalization', 'Relu']);

    const x = randn([3, 3, 4, 5], { rng });
    model.eval();
    const expected = noGrad(() => model.forward(x));
    const session = await ort.InferenceSession.create(exported.bytes, { executionProviders: ['wasm'] });
    const result = await session.run({ input: new ort.Tensor('float32', x.f32, [3, 3, 4, 5]) });
    await session.release();
    const got = result.output!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected.f32[i]!));
    expect(expected.f32.some((v) => v === 0) && expected.f32.some((v) => v > 0)).toBe(true);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
