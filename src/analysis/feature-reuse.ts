import { noGrad } from '../autograd/no-grad.js';
import { DenseBlock } from '../blocks/dense.js';
import { HighwayLayer, ConvHighwayLayer } from '../blocks/highway.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { skipBlocks, withHooks, withMode, type AnalysedModel } from './model-parts.js';

export interface DenseBlockReuse {
  block: string;
  /** weights[target][source]: mean |w| that layer `target` (1..L, L+1 = the next layer after the block) gives to source `source` (0 = block input). NaN where no connection exists. */
  weights: number[][];
  /** The same, divided by each target's largest value (Huang et al. 2017 Fig. 5 colour scale). */
  normalized: number[][];
}

/** Mean |w| over the input channels [start, end) of a conv (O, I, kh, kw) or linear (O, I) weight. */
function meanAbsoluteWeight(weight: Tensor, start: number, end: number): number {
  const [outC, inC] = [weight.shape[0]!, weight.shape[1]!];
  const spatial = weight.size / (outC * inC);
  let s = 0;
  for (let o = 0; o < outC; o++) for (let i = start; i < end; i++) {
    const base = (o * inC + i) * spatial;
    for (let t = 0; t < spatial; t++) s += Math.abs(weight.f32[base + t]!);
  }
  return s / (outC * (end - start) * spatial);
}

/**
 * DenseNet feature reuse (Huang et al. 2017 §5, Fig. 5): for every layer of every dense block,
 * the average absolute weight of its first convolution on the channels that came from each earlier
 * layer. The block's consumer (the next transition's convolution, or the classifier after the last
 * block) is the extra target L + 1, found as the first weighted layer after the block.
 */
export function featureReuse(model: AnalysedModel): DenseBlockReuse[] {
  const all = [...model.namedModules()];
  return skipBlocks(model).filter((b) => b.module instanceof DenseBlock).map(({ path, module }) => {
    const block = module as DenseBlock;
    const targets: { weight: Tensor; sources: { source: number; start: number; end: number }[] }[] = block.layers.map((layer, i) => ({ weight: layer.conv1.weight, sources: block.inputSources(i + 1) }));
    const after = all.findIndex(([p]) => p === path);
    const next = all.slice(after + 1).find(([p, m]) => !p.startsWith(`${path}.`) && (m instanceof Conv2d || m instanceof Linear))?.[1] as Conv2d | Linear | undefined;
    if (next && next.weight.shape[1] === block.outChannels) targets.push({ weight: next.weight, sources: block.inputSources(block.numLayers + 1) });
    const width = block.numLayers + 1;
    const weights = targets.map(({ weight, sources }) => {
      const row = new Array<number>(width).fill(NaN);
      for (const s of sources) row[s.source] = meanAbsoluteWeight(weight, s.start, s.end);
      return row;
    });
    const normalized = weights.map((row) => {
      const max = Math.max(...row.filter((v) => !Number.isNaN(v)));
      return row.map((v) => (Number.isNaN(v) ? NaN : v / max));
    });
    return { block: path, weights, normalized };
  });
}

export interface GateActivity {
  layer: string;
  /** Mean transform-gate value T(x) over examples and units. */
  meanGate: number;
  /** Mean gate per example. */
  perExample: number[];
  /** Fraction of examples whose mean gate is below `closedBelow` (the layer mostly carries x). */
  closedFraction: number;
}

/**
 * Transform-gate activity of a highway network (Srivastava et al. 2015 §4.1, Fig. 2): the mean of
 * T(x) per layer and per example on `x`, and how many examples find a layer's gates nearly closed.
 */
export function highwayGateActivity(model: AnalysedModel, x: Tensor, options: { closedBelow?: number } = {}): GateActivity[] {
  const closedBelow = options.closedBelow ?? 0.1;
  const n = x.shape[0]!;
  const out: GateActivity[] = [];
  withMode(model, false, () => noGrad(() => withHooks(
    () => skipBlocks(model).filter((b) => b.module instanceof HighwayLayer || b.module instanceof ConvHighwayLayer).map(({ path, module }) =>
      module.registerForwardHook((m: Module, input) => {
        const gate = (m as HighwayLayer | ConvHighwayLayer).gateValues(input).f32; // (N, ...)
        const per = gate.length / n;
        const perExample = Array.from({ length: n }, (_, e) => {
          let s = 0;
          for (let j = e * per; j < (e + 1) * per; j++) s += gate[j]!;
          return s / per;
        });
        const meanGate = perExample.reduce((a, b) => a + b, 0) / n;
        out.push({ layer: path, meanGate, perExample, closedFraction: perExample.filter((v) => v < closedBelow).length / n });
      })),
    () => model.forward(x),
  )));
  return out;
}
