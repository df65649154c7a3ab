import { noGrad } from '../../autograd/no-grad.js';
import { traceOps, type TracedOp } from '../../autograd/trace.js';
import type { Module } from '../../nn/module.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { GraphBuilder } from './graph-builder.js';
import { IR_VERSION, onnx, OPSET_VERSION, type OnnxProto } from './onnx-schema.js';
import { exportRules, type RuleContext } from './op-rules.js';

/** Names in the exported ONNX graph: input, output, the symbolic batch axis and the graph. */
export interface OnnxExportOptions {
  /** Graph input name (default 'input'). */
  inputName?: string;
  /** Graph output name (default 'output'). */
  outputName?: string;
  /** Symbolic name of the batch dimension (default 'batch'). */
  batchName?: string;
  /** Graph name stored in the file (default the model's class name). */
  graphName?: string;
}

/** An exported ONNX model: its bytes, node counts by op type, initializer count and the sample's output shape. */
export interface OnnxExportSummary {
  bytes: Uint8Array;
  /** Op types in the graph with their node counts. */
  nodeCounts: Record<string, number>;
  initializers: number;
  /** Output shape for the sample input. */
  outputShape: readonly number[];
}

interface Trace {
  ops: TracedOp[];
  /** The innermost module (dotted path) that ran each op: node and value names in the file. */
  scopes: string[];
  output: Tensor;
}

/**
 * Run the model's forward in eval mode under noGrad, recording every op and the module it ran
 * in (through temporary forward hooks); restores each module's mode and removes the hooks.
 */
function traceForward(model: Module, input: Tensor): Trace {
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  const stack: string[] = [];
  const removers: (() => void)[] = [];
  for (const [path, m] of model.namedModules()) {
    // Hooks wrap the class's forward; a forward replaced on the instance keeps its parent's scope.
    if (path === '' || Object.prototype.hasOwnProperty.call(m, 'forward')) continue;
    removers.push(m.registerForwardPreHook(() => void stack.push(path)));
    removers.push(m.registerForwardHook(() => void stack.pop()));
  }
  model.eval();
  try {
    const ops: TracedOp[] = [];
    const scopes: string[] = [];
    const output = traceOps((op) => {
      ops.push(op);
      scopes.push(stack[stack.length - 1] ?? '');
    }, () => noGrad(() => model.forward(input)));
    return { ops, scopes, output };
  } finally {
    for (const remove of removers) remove();
    for (const [m, mode] of modes) m.training = mode;
  }
}

/** The sample with one more item (its first repeated), to see which sizes follow the batch. */
function growBatch(sample: Tensor): Tensor {
  const n = sample.shape[0]!;
  const item = sample.size / n;
  const data = sample.dtype === 'int32' ? new Int32Array(sample.size + item) : new Float32Array(sample.size + item);
  data.set(sample.data);
  data.set(sample.data.subarray(0, item), sample.size);
  return new Tensor(data, [n + 1, ...sample.shape.slice(1)]);
}

/** Where each tensor an op reads comes from, so two traces can be compared structurally. */
function sourceLabels(trace: Trace, input: Tensor, stateNames: Map<Tensor, string>): string[][] {
  const producer = new Map<Tensor, number>();
  return trace.ops.map((op, k) => {
    const labels = op.inputs.map((t) => {
      if (t === input) return 'input';
      const p = producer.get(t);
      if (p !== undefined) return `op ${p}`;
      const key = stateNames.get(t);
      return key !== undefined ? `state ${key}` : `constant ${formatShape(t.shape)}`;
    });
    producer.set(op.output, k);
    return labels;
  });
}

/**
 * Trace `model` on `sampleInput` (N, ...) and build an ONNX model (opset 17, IR 8): the graph
 * input and output have a symbolic batch dimension, weights and batch-norm statistics are
 * initializers under their state-dict names, and every op becomes the nodes its export rule
 * emits. The forward is traced at batch N and N + 1: sizes that change are the batch, and the
 * two traces must run the same ops on the same sources (otherwise the graph depends on N).
 */
export function buildOnnxModel(model: Module, sampleInput: Tensor, options: OnnxExportOptions = {}): OnnxExportSummary {
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const batchName = options.batchName ?? 'batch';
  const where = `ONNX export of ${model.constructor.name}`;
  if (sampleInput.ndim < 1 || sampleInput.shape[0]! < 1) throw new Error(`${where}: the sample input ${formatShape(sampleInput.shape)} needs a batch axis of size >= 1`);

  const stateNames = new Map<Tensor, string>();
  for (const [key, t] of Object.entries(model.stateDict())) if (!stateNames.has(t)) stateNames.set(t, key);
  const first = traceForward(model, sampleInput);
  const grown = growBatch(sampleInput);
  const second = traceForward(model, grown);
  if (first.ops.length !== second.ops.length || first.ops.some((op, k) => op.op !== second.ops[k]!.op)) {
    throw new Error(`${where}: the forward runs different ops at batch ${sampleInput.shape[0]} and ${grown.shape[0]}; it cannot be one graph`);
  }
  const labelsFirst = sourceLabels(first, sampleInput, stateNames);
  const labelsSecond = sourceLabels(second, grown, stateNames);
  labelsFirst.forEach((labels, k) => {
    if (labels.join('|') !== labelsSecond[k]!.join('|')) {
      throw new Error(`${where}: op ${k} (${first.ops[k]!.op}) reads [${labels.join(', ')}] at one batch size and [${labelsSecond[k]!.join(', ')}] at another; a constant probably depends on the batch size`);
    }
    // A tensor made outside the traced ops (its values computed by hand) would be frozen into the
    // file as a constant; if it changed with the input, the graph would be silently wrong.
    labels.forEach((label, i) => {
      if (!label.startsWith('constant')) return;
      const a = first.ops[k]!.inputs[i]!.data;
      const b = second.ops[k]!.inputs[i]!.data;
      if (a.some((v, j) => !Object.is(v, b[j]))) {
        throw new Error(`${where}: input ${i} of op ${k} (${first.ops[k]!.op}) is a tensor computed outside the traced ops whose values change with the input; it cannot be a constant of the graph`);
      }
    });
  });

  // Axes whose size follows the batch, for every tensor of the first trace.
  const dynamic = new Map<Tensor, number[]>();
  const differing = (a: readonly number[], b: readonly number[]): number[] => a.map((d, i) => i).filter((i) => a[i] !== b[i]);
  dynamic.set(sampleInput, differing(sampleInput.shape, grown.shape));
  first.ops.forEach((op, k) => {
    const twin = second.ops[k]!.output;
    if (op.output.ndim !== twin.ndim) throw new Error(`${where}: op ${k} (${op.op}) changes rank with the batch size`);
    dynamic.set(op.output, differing(op.output.shape, twin.shape));
  });

  const builder = new GraphBuilder();
  builder.bind(sampleInput, builder.fresh(inputName));
  const nameFor = (t: Tensor, hint: string): string => builder.nameOf(t) ?? builder.value(t, stateNames.get(t) ?? hint);
  first.ops.forEach((op, k) => {
    const scope = first.scopes[k]!;
    const outName = builder.fresh(scope ? `${scope}/${op.op}` : op.op);
    const ctx: RuleContext = {
      builder,
      inputs: op.inputs.map((t, i) => nameFor(t, `${op.op}_${k}/const_${i}`)),
      output: outName,
      dynamicAxes: (t) => dynamic.get(t) ?? [],
      tensor: (t, hint) => nameFor(t, `${op.op}_${k}/${hint}`),
    };
    (exportRules[op.op] as (o: TracedOp, c: RuleContext) => void)(op, ctx);
    builder.bind(op.output, outName);
  });

  const resultName = nameFor(first.output, 'result');
  const graphOutput = builder.fresh(outputName);
  builder.node('Identity', [resultName], [graphOutput]);
  const { nodes, initializers } = prune(builder.nodes, builder.initializers, graphOutput);
  foldFinalIdentity(nodes, graphOutput);

  const valueInfo = (name: string, t: Tensor, axes: readonly number[]): OnnxProto.IValueInfoProto => ({
    name,
    type: { tensorType: {
      elemType: t.dtype === 'int32' ? onnx.TensorProto.DataType.INT32 : onnx.TensorProto.DataType.FLOAT,
      shape: { dim: t.shape.map((d, i) => (axes.includes(i) ? { dimParam: batchName } : { dimValue: d })) },
    } },
  });
  const graph: OnnxProto.IGraphProto = {
    name: options.graphName ?? model.constructor.name,
    node: nodes,
    initializer: initializers,
    input: [valueInfo(inputName, sampleInput, dynamic.get(sampleInput) ?? [])],
    output: [valueInfo(graphOutput, first.output, dynamic.get(first.output) ?? [])],
  };
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'skiplab',
    producerVersion: '0.1.0',
    graph,
  });
  const problem = onnx.ModelProto.verify(proto);
  if (problem) throw new Error(`${where}: the model proto is malformed: ${problem}`);
  const nodeCounts: Record<string, number> = {};
  for (const node of nodes) nodeCounts[node.opType!] = (nodeCounts[node.opType!] ?? 0) + 1;
  return { bytes: onnx.ModelProto.encode(proto).finish(), nodeCounts, initializers: initializers.length, outputShape: first.output.shape };
}

/** Keep only the nodes and initializers the graph output depends on (dead branches, unused weights). */
function prune(nodes: OnnxProto.INodeProto[], initializers: OnnxProto.ITensorProto[], output: string): { nodes: OnnxProto.INodeProto[]; initializers: OnnxProto.ITensorProto[] } {
  const needed = new Set([output]);
  const kept: OnnxProto.INodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.output!.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input!) needed.add(input);
  }
  return { nodes: kept.reverse(), initializers: initializers.filter((t) => needed.has(t.name!)) };
}

/** Let the node that computes the result write the graph output directly instead of via Identity. */
function foldFinalIdentity(nodes: OnnxProto.INodeProto[], output: string): void {
  const last = nodes[nodes.length - 1]!;
  const result = last.input![0]!;
  const producer = nodes.find((n) => n.output!.includes(result));
  const readers = nodes.filter((n) => n.input!.includes(result));
  if (last.opType !== 'Identity' || !producer || readers.length !== 1) return;
  producer.output = producer.output!.map((o) => (o === result ? output : o));
  nodes.pop();
}
