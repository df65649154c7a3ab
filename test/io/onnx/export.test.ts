import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { add } from '../../../src/autograd/functions/binary.js';
import { mean } from '../../../src/autograd/functions/reduce.js';
import { noGrad } from '../../../src/autograd/no-grad.js';
import { buildOnnxModel } from '../../../src/io/onnx/export.js';
import { onnx, OPSET_VERSION, type OnnxProto } from '../../../src/io/onnx/onnx-schema.js';
import { createModel, type ModelOptions } from '../../../src/models/registry.js';
import { Embedding } from '../../../src/nn/layers/embedding.js';
import { Linear } from '../../../src/nn/layers/linear.js';
import { Buffer, Module } from '../../../src/nn/module.js';
import { Rng } from '../../../src/tensor/rng.js';
import { intTensor, Tensor } from '../../../src/tensor/tensor.js';

// Every zoo family in eval mode, small enough that building, tracing and running all of them in
// ONNX Runtime's wasm backend stays well under a minute on two cores.
const cases: { label: string; name: string; options?: ModelOptions; input: number[] }[] = [
  { label: 'resnet20 (option A)', name: 'resnet20', input: [3, 32, 32] },
  { label: 'plain-20', name: 'resnet20', options: { skip: 'none' }, input: [3, 32, 32] },
  { label: 'resnet_cifar-8 pre-activation, option B', name: 'resnet_cifar', options: { depth: 8, block: 'preact', skip: 'projection' }, input: [3, 32, 32] },
  { label: 'resnet_cifar-8 pre-activation, option A', name: 'resnet_cifar', options: { depth: 8, block: 'preact', skip: 'zero-pad' }, input: [3, 32, 32] },
  { label: 'resnet18 at 64x64', name: 'resnet18', input: [3, 64, 64] },
  { label: 'resnet50 at 64x64', name: 'resnet50', input: [3, 64, 64] },
  { label: 'densenet121 at 64x64', name: 'densenet121', input: [3, 64, 64] },
  { label: 'densenet_bc_40', name: 'densenet_bc_40', input: [3, 32, 32] },
  { label: 'densenet_bc_40 plain twin', name: 'densenet_bc_40', options: { skip: 'none' }, input: [3, 32, 32] },
  { label: 'highway_fc', name: 'highway_fc', input: [1, 28, 28] },
  { label: 'highway_fc plain twin', name: 'highway_fc', options: { skip: 'none' }, input: [1, 28, 28] },
  { label: 'highway_conv', name: 'highway_conv', input: [1, 28, 28] },
  { label: 'unet, odd 37x45, pad', name: 'unet', options: { levels: 3, baseWidth: 4, oddSizes: 'pad' }, input: [1, 37, 45] },
  { label: 'unet, odd 37x45, crop', name: 'unet', options: { levels: 3, baseWidth: 4, oddSizes: 'crop' }, input: [1, 37, 45] },
  { label: 'unet plain twin, odd 29x30', name: 'unet', options: { levels: 2, baseWidth: 4, skip: 'none' }, input: [1, 29, 30] },
  { label: 'transformer_classifier', name: 'transformer_classifier', options: { dim: 32, heads: 4, layers: 2 }, input: [1, 28, 28] },
  { label: 'transformer_classifier plain twin', name: 'transformer_classifier', options: { dim: 32, heads: 4, layers: 2, skip: 'none' }, input: [1, 28, 28] },
  { label: 'mlp', name: 'mlp', input: [1, 28, 28] },
  { label: 'simple_convnet', name: 'simple_convnet', input: [1, 28, 28] },
];

function randomInput(shape: number[], rng: Rng): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

/** Fresh batch norms are the identity in eval mode; give them statistics so the export is really tested. */
function randomizeBatchNorms(model: Module, rng: Rng): void {
  for (const [name, t] of Object.entries(model.stateDict())) {
    if (!(t instanceof Buffer) || t.dtype !== 'float32') continue;
    if (name.endsWith('running_mean')) for (let i = 0; i < t.size; i++) t.f32[i] = 0.2 * rng.normal();
    if (name.endsWith('running_var')) for (let i = 0; i < t.size; i++) t.f32[i] = 0.5 + rng.uniform();
  }
}

async function runOnnx(bytes: Uint8Array, input: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const feed = input.dtype === 'int32' ? new ort.Tensor('int32', input.i32, input.shape as number[]) : new ort.Tensor('float32', input.f32, input.shape as number[]);
  const result = await session.run({ input: feed });
  const out = result.output!;
  await session.release();
  return { data: out.data as Float32Array, dims: out.dims };
}

/** Largest |a − b| relative to the largest |b| (the output's scale). */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

describe('ONNX export of every zoo family, run in ONNX Runtime', () => {
  it.each(cases)('$label matches skiplab eval outputs within 1e-4 relative at another batch size', async ({ name, options, input }) => {
    const rng = new Rng(7);
    const model = createModel(name, { ...options, rng });
    randomizeBatchNorms(model, rng);
    const exported = buildOnnxModel(model, randomInput([2, ...input], rng));

    // The file's header and signature: opset 17 of the default domain, a symbolic batch axis.
    const proto = onnx.ModelProto.decode(exported.bytes);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET_VERSION]]);
    expect(Number(proto.irVersion)).toBe(8);
    const graph = proto.graph as OnnxProto.GraphProto;
    const inputDims = graph.input[0]!.type!.tensorType!.shape!.dim!;
    expect(inputDims[0]!.dimParam).toBe('batch');
    expect(inputDims.slice(1).map((d) => Number(d.dimValue))).toEqual(input);
    expect(graph.output[0]!.name).toBe('output');
    expect(graph.output[0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('batch');
    // Weights travel as initializers under their state-dict names.
    const initializerNames = new Set(graph.initializer.map((t) => t.name));
    const firstWeight = model.namedParameters().find(([key]) => key.endsWith('weight'))![0];
    expect(initializerNames.has(firstWeight)).toBe(true);
    // Nodes are named after the module that ran them.
    const firstLayer = firstWeight.slice(0, -'.weight'.length);
    expect(graph.node.some((n) => n.name!.startsWith(`${firstLayer}/`)), firstLayer).toBe(true);
    // Nodes are in topological order: every input is defined before it is read.
    const defined = new Set([...initializerNames, 'input']);
    for (const node of graph.node) {
      for (const i of node.input ?? []) expect(defined.has(i), `${node.opType} reads undefined '${i}'`).toBe(true);
      for (const o of node.output ?? []) defined.add(o);
    }

    // Run at batch 3 (the trace used 2) and compare with skiplab in eval mode.
    const x = randomInput([3, ...input], rng);
    model.eval();
    const expected = noGrad(() => model.forward(x));
    const got = await runOnnx(exported.bytes, x);
    expect(got.dims).toEqual(expected.shape);
    const error = relativeError(got.data, expected.f32);
    console.log(`onnx ${name} ${JSON.stringify(options ?? {})}: max relative error ${error.toExponential(2)}, ${graph.node.length} nodes`);
    expect(error).toBeLessThanOrEqual(1e-4);
  });
});

describe('ONNX export of a token model (int32 input, Embedding as Gather)', () => {
  class TokenClassifier extends Module {
    embed = new Embedding(20, 6, { rng: new Rng(4) });
    head = new Linear(6, 3, { rng: new Rng(5) });
    forward(tokens: Tensor): Tensor {
      return this.head.forward(mean(this.embed.forward(tokens), 1)); // (N, L) -> (N, L, 6) -> (N, 6) -> (N, 3)
    }
  }

  it('runs in ONNX Runtime with the same outputs', async () => {
    const model = new TokenClassifier();
    const exported = buildOnnxModel(model, intTensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 5]));
    const tokens = intTensor([0, 19, 3, 3, 7, 11, 2, 5, 18, 1, 4, 4, 4, 4, 4], [3, 5]);
    const expected = noGrad(() => model.forward(tokens));
    const got = await runOnnx(exported.bytes, tokens);
    expect(got.dims).toEqual([3, 3]);
    expect(relativeError(got.data, expected.f32)).toBeLessThanOrEqual(1e-4);
  });
});

describe('ONNX export errors', () => {
  it('traces a model left in training mode in eval mode (no dropout) and restores its mode', () => {
    const model = createModel('transformer_classifier', { dim: 16, heads: 2, layers: 1, dropout: 0.1, rng: new Rng(1) });
    // eval() is applied by the exporter, so dropout never runs: the export succeeds.
    expect(() => buildOnnxModel(model, randomInput([1, 1, 28, 28], new Rng(2)))).not.toThrow();
    expect(model.training).toBe(true); // and the caller's mode is restored
  });

  it('refuses a forward that makes a constant of the batch size, naming the op', () => {
    class AddsBatchSizedZeros extends Linear {
      override forward(x: Tensor): Tensor {
        return add(super.forward(x), new Tensor(new Float32Array(x.shape[0]! * 3), [x.shape[0]!, 3]));
      }
    }
    const model = new AddsBatchSizedZeros(4, 3, { rng: new Rng(1) });
    expect(() => buildOnnxModel(model, randomInput([2, 4], new Rng(2)))).toThrow(/op 1 \(add\) reads .*constant \[2, 3\].*constant \[3, 3\]/);
  });

  it('refuses a tensor computed by hand from the input, which would freeze into a wrong constant', () => {
    const shifted = new Linear(3, 3, { rng: new Rng(1) });
    shifted.forward = function (x: Tensor): Tensor {
      const total = new Tensor(Float32Array.of(x.f32.reduce((a, b) => a + b, 0)), [1]); // depends on every sample
      return add(Linear.prototype.forward.call(this, x), total);
    };
    expect(() => buildOnnxModel(shifted, randomInput([2, 3], new Rng(2)))).toThrow(/input 1 of op 1 \(add\) is a tensor computed outside the traced ops/);
  });

  it('rejects a sample input without a batch axis', () => {
    const model = createModel('mlp', { rng: new Rng(1) });
    expect(() => buildOnnxModel(model, new Tensor(new Float32Array(0), [0, 784]))).toThrow(/batch axis/);
  });
});
