import type { AvgPool2dParams, BinaryOp, Conv2dParams, MaxPool2dParams, Pair, ReduceOp, UnaryOp } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';

/** Marks an op whose inputs and output shape say everything (elementwise ops, linear, matmul, reshape). */
export type NoAttributes = Readonly<Record<never, never>>;

/**
 * What each differentiable function tells a tracer beyond its tensor inputs and output: exactly
 * the arguments that shapes and values cannot reveal (a conv's stride, a crop's offsets, a
 * batch norm's running statistics). A mapped table, so an op that forgets to pass its attributes
 * to `record` does not compile, and an exporter's `switch` over `TracedOp` is exhaustive.
 */
export type TracedOpAttributes = { [K in UnaryOp | BinaryOp | 'addRelu' | 'linear' | 'matmul' | 'reshape']: NoAttributes } & {
  [K in ReduceOp]: { readonly axes: readonly number[]; readonly keepDim: boolean };
} & {
  conv2d: Conv2dParams;
  convTranspose2d: Conv2dParams & { readonly outputPadding: Pair };
  maxPool2d: MaxPool2dParams;
  avgPool2d: AvgPool2dParams;
  adaptiveAvgPool2d: { readonly outputSize: Pair };
  batchNorm: {
    readonly weight: Tensor | null; readonly bias: Tensor | null;
    readonly runningMean: Tensor | null; readonly runningVar: Tensor | null;
    readonly eps: number; readonly training: boolean;
  };
  /** relu(batchNorm(x)) in one op (batchNormRelu): the same attributes; exported as the two nodes. */
  batchNormRelu: TracedOpAttributes['batchNorm'];
  /** relu(batchNorm(x) + residual) in one op (batchNormAddRelu; inputs x, residual[, γ][, β]): exported as the three nodes. */
  batchNormAddRelu: TracedOpAttributes['batchNorm'];
  /** conv2d(relu?(batchNorm(x))) in one op (batchNormConv2d): exported as the two or three nodes. */
  batchNormConv2d: TracedOpAttributes['batchNorm'] & { readonly relu: boolean; readonly conv: Conv2dParams };
  layerNorm: { readonly normalizedShape: readonly number[]; readonly weight: Tensor | null; readonly bias: Tensor | null; readonly eps: number };
  softmax: { readonly axis: number };
  logSoftmax: { readonly axis: number };
  permute: { readonly perm: readonly number[] };
  /** The box [begin, begin + size) of the input, one entry per axis. */
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  /** Per-axis amounts added before and after (negative amounts crop). */
  pad: { readonly before: readonly number[]; readonly after: readonly number[]; readonly value: number };
  concat: { readonly axis: number };
  affine: { readonly alpha: number; readonly beta: number };
  embedding: { readonly indices: Tensor };
  dropout: { readonly p: number };
  crossEntropy: NoAttributes;
};

export type OpName = keyof TracedOpAttributes;

/** The extra argument `record` takes for op K: none for ops without attributes. */
export type AttributeArguments<K extends OpName> = NoAttributes extends TracedOpAttributes[K]
  ? [attributes?: NoAttributes]
  : [attributes: TracedOpAttributes[K]];

/** One op as it ran: a discriminated union on `op`, so `attributes` narrows with it. */
export type TracedOp = {
  [K in OpName]: { readonly op: K; readonly inputs: readonly Tensor[]; readonly output: Tensor; readonly attributes: TracedOpAttributes[K] };
}[OpName];

export type OpObserver = (op: TracedOp) => void;

let observer: OpObserver | null = null;

/**
 * Run `fn` and hand every op it executes to `onOp`, in execution order, whether or not a graph
 * is being recorded (an export traces under noGrad). Ops of other code are not seen once `fn`
 * returns. Traces do not nest: the ONNX exporter is the one user.
 */
export function traceOps<T>(onOp: OpObserver, fn: () => T): T {
  if (observer) throw new Error('traceOps: a trace is already running (traces do not nest)');
  observer = onOp;
  try {
    return fn();
  } finally {
    observer = null;
  }
}

/** Whether a trace is running: code that would compute the same values with other ops (a folded batch norm) must not. */
export function isTracing(): boolean {
  return observer !== null;
}

/** Called by `record` for every op; allocates nothing when no trace is running. */
export function notifyOp(op: OpName, inputs: readonly Tensor[], output: Tensor, attributes: object | undefined): void {
  if (observer) observer({ op, inputs, output, attributes: attributes ?? {} } as TracedOp);
}
