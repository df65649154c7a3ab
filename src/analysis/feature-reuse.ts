import { noGrad } from '../autograd/no-grad.js';
import { evaluateJunction } from '../blocks/skip-block.js';
import type { Parameter } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { skipBlocks, weightedModules, withHooks, withMode, type AnalysedModel } from './model-parts.js';

/** DenseNet Fig. 5: the mean absolute weight each layer puts on each earlier layer's features. */
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

/** A run of input channels that came from one source (0 = the block input, j = the j-th junction's branch). */
interface SourceChannels {
  source: number;
  start: number;
  end: number;
}

/** A weighted layer reading a block's sources, and which of its input channels came from which. */
interface Target {
  weight: Parameter;
  sources: SourceChannels[];
}

/**
 * DenseNet feature reuse (Huang et al. 2017 §5, Fig. 5): for every layer of every block whose
 * junctions concatenate, the average absolute weight of its first weighted layer on the channels
 * that came from each earlier source. The block's consumer (the next transition's convolution, or
 * the classifier after the last block) is the extra target L + 1. Read from one evaluation-mode
 * pass over `probe` (any input of the model's shape: only which layer reads which channels
 * matters) through the blocks' junctions: at each concatenating junction the skip carries the
 * sources so far, the branch's first weighted layer reads them, and the junction appends the
 * branch's maps as the next source. Blocks whose output is not that concatenation (a U-Net
 * level decodes it) are left out.
 */
export function featureReuse(model: AnalysedModel, probe: Tensor): DenseBlockReuse[] {
  const blocks = skipBlocks(model);
  const byBlock = new Map<string, { targets: Target[]; width: number }>();
  let listening: ((weight: Parameter) => void) | null = null;
  withMode(model, false, () => noGrad(() => withHooks(
    () => [
      ...weightedModules(model).map(([, m]) => {
        const weight = m.namedParameters().find(([name, p]) => name === 'weight' && p.ndim >= 2)?.[1];
        return m.registerForwardPreHook(() => {
          if (weight && listening) listening(weight);
        });
      }),
      ...blocks.map(({ path, module }) => module.registerForwardHook((_m, x, y) => {
        if (byBlock.has(path)) return;
        const targets: Target[] = [];
        let sources: SourceChannels[] = [{ source: 0, start: 0, end: x.shape[1]! }];
        let junctions = 0;
        module.forwardJunctions(x, (j) => {
          if (j.merge !== 'concat') return evaluateJunction(j);
          const channels = j.input.shape[1]!;
          const first: { weight: Parameter | null } = { weight: null };
          listening = (weight) => {
            if (!first.weight && weight.shape[1] === channels) first.weight = weight;
          };
          const branch = j.branch();
          listening = null;
          if (first.weight) targets.push({ weight: first.weight, sources });
          const source = ++junctions;
          const end = sources[sources.length - 1]!.end;
          const shortcut = j.shortcut();
          // A concatenation appends the branch's maps; a plain twin passes only them on.
          sources = shortcut ? [...sources, { source, start: end, end: end + branch.shape[1]! }] : [{ source, start: 0, end: branch.shape[1]! }];
          return j.join(branch, shortcut);
        });
        // Only a block that ends with its last concatenation (a dense block) outputs its sources.
        if (junctions === 0 || y.shape[1] !== sources[sources.length - 1]!.end) return;
        byBlock.set(path, { targets, width: junctions + 1 }); // sources 0..L
        listening = (weight) => {
          // The consumer: the next weighted layer to run, if it reads every channel of the block.
          listening = null;
          if (weight.shape[1] === y.shape[1]) targets.push({ weight, sources });
        };
      })),
    ],
    () => model.forward(probe),
  )));
  return blocks.filter(({ path }) => byBlock.has(path)).map(({ path }) => {
    const { targets, width } = byBlock.get(path)!;
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

/**
 * The share of each target's weight mass (mean |w| per source, as in `weights`) that goes to
 * sources other than its direct predecessor, averaged over every target with more than one
 * source, in every block. Read it against the same number at initialisation: with i.i.d. weights
 * every source gets the same mean |w|, so a layer with k sources starts at (k − 1)/k — about 0.7
 * for a block of a few layers — before any training (Huang et al. 2017 §5 read Fig. 5 after training).
 */
export function nonPredecessorShare(blocks: readonly DenseBlockReuse[]): number {
  const shares: number[] = [];
  for (const block of blocks) {
    block.weights.forEach((row, t) => {
      // Row t is layer t + 1 (or the block's consumer); its direct predecessor is source t.
      const valid = row.filter((v) => !Number.isNaN(v));
      if (valid.length < 2) return;
      const total = valid.reduce((a, v) => a + v, 0);
      shares.push((total - row[t]!) / total);
    });
  }
  return shares.length === 0 ? NaN : shares.reduce((a, b) => a + b, 0) / shares.length;
}

/** DenseNet's use of earlier features before and after training (Huang et al. 2017, Fig. 5). */
export interface FeatureReuseChange {
  /** `nonPredecessorShare` at initialisation and after training, and trained − initial. */
  initial: number;
  trained: number;
  change: number;
  /** Per block: trained mean |w| over initial mean |w| for each (target, source); NaN where no connection. */
  growth: { block: string; ratio: number[][] }[];
}

/**
 * How training changed DenseNet's use of earlier features: the non-predecessor share before and
 * after, and how much each connection's mean |w| grew — so a claim of feature reuse states a
 * change, not a level that i.i.d. initial weights already reach. Both arguments come from
 * `featureReuse` on the same architecture (the weights at initialisation kept, e.g. with
 * `snapshotWeights`, or a twin built from the same seed).
 */
export function featureReuseChange(initial: readonly DenseBlockReuse[], trained: readonly DenseBlockReuse[]): FeatureReuseChange {
  if (initial.length !== trained.length || initial.some((b, i) => b.block !== trained[i]!.block || b.weights.length !== trained[i]!.weights.length)) {
    throw new Error(`featureReuseChange: the two measurements are of different architectures (blocks ${initial.map((b) => b.block).join(', ')} vs ${trained.map((b) => b.block).join(', ')})`);
  }
  const [before, after] = [nonPredecessorShare(initial), nonPredecessorShare(trained)];
  return {
    initial: before,
    trained: after,
    change: after - before,
    growth: trained.map((b, i) => ({ block: b.block, ratio: b.weights.map((row, t) => row.map((v, s) => v / initial[i]!.weights[t]![s]!)) })),
  };
}

/** Mean transform-gate activity of each highway layer (Srivastava et al. 2015 Fig. 2). */
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
 * T(x) per gated junction and per example on `x`, and how many examples find a junction's gates
 * nearly closed. One entry per gated junction, named by its block (in forward order).
 */
export function highwayGateActivity(model: AnalysedModel, x: Tensor, options: { closedBelow?: number } = {}): GateActivity[] {
  const closedBelow = options.closedBelow ?? 0.1;
  const n = x.shape[0]!;
  const out: GateActivity[] = [];
  withMode(model, false, () => noGrad(() => withHooks(
    () => skipBlocks(model).map(({ path, module }) => module.registerForwardHook((_m, input) => {
      module.forwardJunctions(input, (j) => {
        if (j.gate) {
          const gate = j.gate().f32; // (N, ...)
          const per = gate.length / n;
          const perExample = Array.from({ length: n }, (_, e) => {
            let s = 0;
            for (let i = e * per; i < (e + 1) * per; i++) s += gate[i]!;
            return s / per;
          });
          const meanGate = perExample.reduce((a, b) => a + b, 0) / n;
          out.push({ layer: path, meanGate, perExample, closedFraction: perExample.filter((v) => v < closedBelow).length / n });
        }
        return evaluateJunction(j);
      });
    })),
    () => model.forward(x),
  )));
  return out;
}
