import type { OpName, TracedOp } from '../../autograd/trace.js';
import type { Conv2dParams } from '../../backend/backend.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { AttributeValue, GraphBuilder } from './graph-builder.js';

/** What an export rule sees besides the traced op itself. */
export interface RuleContext {
  readonly builder: GraphBuilder;
  /** Value names of the op's tensor inputs, in order. */
  readonly inputs: readonly string[];
  /** The name the op's result must carry (the last node a rule emits writes it). */
  readonly output: string;
  /** Axes of `t` whose size follows the batch size (found by tracing at two batch sizes). */
  dynamicAxes(t: Tensor): readonly number[];
  /** The value name of a tensor an op holds as an attribute (batch norm's running statistics). */
  tensor(t: Tensor, hint: string): string;
}

type Rule<K extends OpName> = (op: Extract<TracedOp, { op: K }>, ctx: RuleContext) => void;

const ints = (values: readonly number[]): AttributeValue => ({ ints: values });
const int = (value: number): AttributeValue => ({ int: value });
const float = (value: number): AttributeValue => ({ float: value });

/** A fresh name for an intermediate value of the op that produces `ctx.output`. */
const temp = (ctx: RuleContext, hint: string): string => ctx.builder.fresh(`${ctx.output}/${hint}`);

function fail(op: TracedOp, why: string): never {
  throw new Error(`ONNX export: ${op.op} with input ${formatShape(op.inputs[0]?.shape ?? [])}: ${why}`);
}

function simple<K extends OpName>(onnxOp: string): Rule<K> {
  return (_op, ctx) => void ctx.builder.node(onnxOp, ctx.inputs, [ctx.output]);
}

/** (before, after) per axis as ONNX pads: all begins, then all ends. */
const onnxPads = (before: readonly number[], after: readonly number[]): number[] => [...before, ...after];

/** Refuse to bake a batch-dependent axis into a static attribute. */
function requireStaticAxes(op: TracedOp, ctx: RuleContext, axes: readonly number[], what: string): void {
  const dynamic = ctx.dynamicAxes(op.inputs[0]!);
  for (const a of axes) if (dynamic.includes(a)) fail(op, `${what} axis ${a}, whose size follows the batch size, which a dynamic-batch graph cannot express`);
}

/** A Conv node of weight `w` over `inputs` (x, w[, bias]) writing ctx.output. */
function convNode(p: Conv2dParams, w: Tensor, inputs: readonly string[], ctx: RuleContext): void {
  ctx.builder.node('Conv', inputs, [ctx.output], {
    kernel_shape: ints([w.shape[2]!, w.shape[3]!]), strides: ints(p.stride), pads: ints(onnxPads(p.padding, p.padding)), dilations: ints(p.dilation), group: int(p.groups),
  });
}

/** A BatchNormalization node (inference form: running statistics) writing `output`; returns it. */
function batchNormalizationNode(
  op: Extract<TracedOp, { op: 'batchNorm' | 'batchNormRelu' | 'batchNormAddRelu' | 'batchNormConv2d' }>, ctx: RuleContext, output: string,
): string {
  const a = op.attributes;
  if (a.training || !a.runningMean || !a.runningVar) fail(op, 'batch norm uses batch statistics; export a model in eval mode');
  const channels = op.inputs[0]!.shape[1]!;
  const scale = a.weight ? ctx.tensor(a.weight, 'bn_scale') : ctx.builder.floatConstant(`${ctx.output}/scale`, new Array<number>(channels).fill(1), [channels]);
  const bias = a.bias ? ctx.tensor(a.bias, 'bn_bias') : ctx.builder.floatConstant(`${ctx.output}/bias`, new Array<number>(channels).fill(0), [channels]);
  const inputs = [ctx.inputs[0]!, scale, bias, ctx.tensor(a.runningMean, 'running_mean'), ctx.tensor(a.runningVar, 'running_var')];
  return ctx.builder.node('BatchNormalization', inputs, [output], { epsilon: float(a.eps) });
}

/**
 * One rule per traced op, a mapped table over the op names so a new op without an export rule is
 * a compile error. Rules target the default domain at opset 17 (LayerNormalization exists;
 * ReduceMean/ReduceMax still take `axes` as an attribute, ReduceSum as an input since 13).
 */
export const exportRules: { [K in OpName]: Rule<K> } = {
  neg: simple('Neg'), exp: simple('Exp'), log: simple('Log'), sqrt: simple('Sqrt'), abs: simple('Abs'),
  reciprocal: simple('Reciprocal'), relu: simple('Relu'), sigmoid: simple('Sigmoid'), tanh: simple('Tanh'),
  square: (_op, ctx) => void ctx.builder.node('Mul', [ctx.inputs[0]!, ctx.inputs[0]!], [ctx.output]),
  gelu: (_op, ctx) => {
    // Exact GELU (Hendrycks & Gimpel 2016): x · ½(1 + erf(x/√2)); opset 17 has no Gelu op (added in 20).
    const b = ctx.builder;
    const x = ctx.inputs[0]!;
    const erf = b.node('Erf', [b.node('Div', [x, b.floatConstant('sqrt2', [Math.SQRT2])], [temp(ctx, 'scaled')])], [temp(ctx, 'erf')]);
    const onePlus = b.node('Add', [erf, b.floatConstant('one', [1])], [temp(ctx, 'one_plus')]);
    const half = b.node('Mul', [onePlus, b.floatConstant('half', [0.5])], [temp(ctx, 'half')]);
    b.node('Mul', [x, half], [ctx.output]);
  },
  // relu(a + b) in one op (addRelu, the end of a residual block): the two nodes in the file.
  addRelu: (_op, ctx) => void ctx.builder.node('Relu', [ctx.builder.node('Add', ctx.inputs, [temp(ctx, 'sum')])], [ctx.output]),
  add: simple('Add'), sub: simple('Sub'), mul: simple('Mul'), div: simple('Div'), maximum: simple('Max'), minimum: simple('Min'),
  matmul: simple('MatMul'),
  linear: (op, ctx) => {
    const [x, w, bias] = ctx.inputs;
    if (op.inputs[0]!.ndim === 2) {
      ctx.builder.node('Gemm', bias ? [x!, w!, bias] : [x!, w!], [ctx.output], { transB: int(1) });
      return;
    }
    // Gemm is 2-D only: y = x · Wᵀ (+ b) with MatMul broadcasting over the leading axes.
    const wt = ctx.builder.node('Transpose', [w!], [temp(ctx, 'weight_t')], { perm: ints([1, 0]) });
    if (!bias) return void ctx.builder.node('MatMul', [x!, wt], [ctx.output]);
    ctx.builder.node('Add', [ctx.builder.node('MatMul', [x!, wt], [temp(ctx, 'matmul')]), bias], [ctx.output]);
  },
  reshape: (op, ctx) => {
    const dynamic = ctx.dynamicAxes(op.output);
    if (dynamic.length > 1) fail(op, `reshape to ${formatShape(op.output.shape)} spreads the batch over axes ${dynamic.join(', ')}`);
    const shape = op.output.shape.map((d, i) => (dynamic.includes(i) ? -1 : d));
    ctx.builder.node('Reshape', [ctx.inputs[0]!, ctx.builder.int64Constant(`${ctx.output}/shape`, shape)], [ctx.output]);
  },
  sum: (op, ctx) => void ctx.builder.node('ReduceSum', [ctx.inputs[0]!, ctx.builder.int64Constant(`${ctx.output}/axes`, op.attributes.axes)], [ctx.output], { keepdims: int(op.attributes.keepDim ? 1 : 0) }),
  mean: (op, ctx) => void ctx.builder.node('ReduceMean', ctx.inputs, [ctx.output], { axes: ints(op.attributes.axes), keepdims: int(op.attributes.keepDim ? 1 : 0) }),
  max: (op, ctx) => void ctx.builder.node('ReduceMax', ctx.inputs, [ctx.output], { axes: ints(op.attributes.axes), keepdims: int(op.attributes.keepDim ? 1 : 0) }),
  conv2d: (op, ctx) => convNode(op.attributes, op.inputs[1]!, ctx.inputs, ctx),
  // inputs: x, conv weight[, conv bias][, γ][, β] (γ and β also ride in the attributes)
  batchNormConv2d: (op, ctx) => {
    const normalized = batchNormalizationNode(op, ctx, temp(ctx, 'batch_norm'));
    const input = op.attributes.relu ? ctx.builder.node('Relu', [normalized], [temp(ctx, 'relu')]) : normalized;
    const convBias = op.inputs.length > 2 + (op.attributes.weight ? 1 : 0) + (op.attributes.bias ? 1 : 0) ? [ctx.inputs[2]!] : [];
    convNode(op.attributes.conv, op.inputs[1]!, [input, ctx.inputs[1]!, ...convBias], ctx);
  },
  convTranspose2d: (op, ctx) => {
    const { stride, padding, dilation, groups, outputPadding } = op.attributes;
    const w = op.inputs[1]!.shape;
    ctx.builder.node('ConvTranspose', ctx.inputs, [ctx.output], {
      kernel_shape: ints([w[2]!, w[3]!]), strides: ints(stride), pads: ints(onnxPads(padding, padding)), dilations: ints(dilation),
      group: int(groups), output_padding: ints(outputPadding),
    });
  },
  maxPool2d: (op, ctx) => {
    const { kernelSize, stride, padding, dilation } = op.attributes;
    ctx.builder.node('MaxPool', ctx.inputs, [ctx.output], { kernel_shape: ints(kernelSize), strides: ints(stride), pads: ints(onnxPads(padding, padding)), dilations: ints(dilation) });
  },
  avgPool2d: (op, ctx) => {
    const { kernelSize, stride, padding, countIncludePad } = op.attributes;
    ctx.builder.node('AveragePool', ctx.inputs, [ctx.output], {
      kernel_shape: ints(kernelSize), strides: ints(stride), pads: ints(onnxPads(padding, padding)), count_include_pad: int(countIncludePad ? 1 : 0),
    });
  },
  adaptiveAvgPool2d: (op, ctx) => {
    const [oh, ow] = op.attributes.outputSize;
    const [h, w] = [op.inputs[0]!.shape[2]!, op.inputs[0]!.shape[3]!];
    if (oh === 1 && ow === 1) return void ctx.builder.node('GlobalAveragePool', ctx.inputs, [ctx.output]);
    // Adaptive windows are equal and disjoint exactly when the output size divides the input size.
    if (h % oh !== 0 || w % ow !== 0) fail(op, `adaptive pooling ${h}x${w} -> ${oh}x${ow} has unequal windows; ONNX has no adaptive pooling`);
    const kernel = [h / oh, w / ow];
    ctx.builder.node('AveragePool', ctx.inputs, [ctx.output], { kernel_shape: ints(kernel), strides: ints(kernel) });
  },
  batchNorm: (op, ctx) => void batchNormalizationNode(op, ctx, ctx.output),
  // The fused op is two nodes in the file, as the unfused graph is (runtimes fuse them again).
  batchNormRelu: (op, ctx) => void ctx.builder.node('Relu', [batchNormalizationNode(op, ctx, temp(ctx, 'batch_norm'))], [ctx.output]),
  batchNormAddRelu: (op, ctx) => {
    const sum = ctx.builder.node('Add', [batchNormalizationNode(op, ctx, temp(ctx, 'batch_norm')), ctx.inputs[1]!], [temp(ctx, 'sum')]);
    ctx.builder.node('Relu', [sum], [ctx.output]);
  },
  layerNorm: (op, ctx) => {
    const a = op.attributes;
    const size = a.normalizedShape.reduce((p, d) => p * d, 1);
    const scale = a.weight ? ctx.tensor(a.weight, 'ln_scale') : ctx.builder.floatConstant(`${ctx.output}/scale`, new Array<number>(size).fill(1), a.normalizedShape);
    const inputs = a.bias ? [ctx.inputs[0]!, scale, ctx.tensor(a.bias, 'ln_bias')] : [ctx.inputs[0]!, scale];
    ctx.builder.node('LayerNormalization', inputs, [ctx.output], { axis: int(-a.normalizedShape.length), epsilon: float(a.eps) });
  },
  softmax: (op, ctx) => void ctx.builder.node('Softmax', ctx.inputs, [ctx.output], { axis: int(op.attributes.axis) }),
  logSoftmax: (op, ctx) => void ctx.builder.node('LogSoftmax', ctx.inputs, [ctx.output], { axis: int(op.attributes.axis) }),
  permute: (op, ctx) => void ctx.builder.node('Transpose', ctx.inputs, [ctx.output], { perm: ints(op.attributes.perm) }),
  slice: (op, ctx) => {
    const { begin, size } = op.attributes;
    const shape = op.inputs[0]!.shape;
    const axes = shape.map((_, i) => i).filter((i) => begin[i] !== 0 || size[i] !== shape[i]);
    if (axes.length === 0) return void ctx.builder.node('Identity', ctx.inputs, [ctx.output]);
    requireStaticAxes(op, ctx, axes, 'slices');
    const b = ctx.builder;
    b.node('Slice', [
      ctx.inputs[0]!, b.int64Constant(`${ctx.output}/starts`, axes.map((a) => begin[a]!)),
      b.int64Constant(`${ctx.output}/ends`, axes.map((a) => begin[a]! + size[a]!)), b.int64Constant(`${ctx.output}/axes`, axes),
    ], [ctx.output]);
  },
  pad: (op, ctx) => {
    // Negative amounts crop (U-Net's centre crop): a Slice first, then a Pad of the positive amounts.
    const { before, after, value } = op.attributes;
    const shape = op.inputs[0]!.shape;
    const changed = shape.map((_, i) => i).filter((i) => before[i] !== 0 || after[i] !== 0);
    if (changed.length === 0) return void ctx.builder.node('Identity', ctx.inputs, [ctx.output]);
    requireStaticAxes(op, ctx, changed, 'pads');
    const b = ctx.builder;
    let x = ctx.inputs[0]!;
    const cropped = changed.filter((i) => before[i]! < 0 || after[i]! < 0);
    const padded = changed.some((i) => before[i]! > 0 || after[i]! > 0);
    if (cropped.length > 0) {
      const starts = cropped.map((i) => Math.max(0, -before[i]!));
      const ends = cropped.map((i) => shape[i]! + Math.min(0, after[i]!));
      const out = padded ? temp(ctx, 'crop') : ctx.output;
      x = b.node('Slice', [x, b.int64Constant(`${ctx.output}/starts`, starts), b.int64Constant(`${ctx.output}/ends`, ends), b.int64Constant(`${ctx.output}/axes`, cropped)], [out]);
    }
    if (!padded) return;
    const pads = onnxPads(before.map((v) => Math.max(0, v)), after.map((v) => Math.max(0, v)));
    b.node('Pad', [x, b.int64Constant(`${ctx.output}/pads`, pads), b.floatConstant(`${ctx.output}/value`, [value])], [ctx.output], {});
  },
  concat: (op, ctx) => void ctx.builder.node('Concat', ctx.inputs, [ctx.output], { axis: int(op.attributes.axis) }),
  affine: (op, ctx) => {
    const { alpha, beta } = op.attributes;
    const b = ctx.builder;
    if (alpha === 1 && beta === 0) return void b.node('Identity', ctx.inputs, [ctx.output]);
    let x = ctx.inputs[0]!;
    if (alpha !== 1) x = b.node('Mul', [x, b.floatConstant(`${ctx.output}/alpha`, [alpha])], [beta === 0 ? ctx.output : temp(ctx, 'scaled')]);
    if (beta !== 0) b.node('Add', [x, b.floatConstant(`${ctx.output}/beta`, [beta])], [ctx.output]);
  },
  embedding: (op, ctx) => void ctx.builder.node('Gather', [ctx.inputs[0]!, ctx.tensor(op.attributes.indices, 'indices')], [ctx.output], { axis: int(0) }),
  dropout: (op) => fail(op, 'dropout is active; export a model in eval mode'),
  crossEntropy: (op) => fail(op, 'a loss is not part of a model; export the model alone'),
};
