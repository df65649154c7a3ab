/**
 * A functional test of DenseNet feature reuse (Huang et al. 2017 §5: "features extracted by very
 * early layers are, indeed, directly used by deep layers throughout the same dense block"): cut
 * every long dense connection — inside each dense block, layer ℓ keeps only its immediate
 * predecessor x_{ℓ−1} and loses x_0 … x_{ℓ−2} — and see what the held-out images' predictions
 * lose. If the deep layers did not use early features, the cut would change nothing; the same cut
 * at initialisation is the baseline. Done through the blocks' junctions (src/blocks/skip-block.ts)
 * as a scoped override: no weight is touched.
 */
import { skipBlocks, weightedModules, withHooks } from '../../src/analysis/model-parts.js';
import { evaluateJunction } from '../../src/blocks/skip-block.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { correctPerImage, type LabRun } from './lab-run.js';

/** x with channels [0, keepFrom) set to zero: (N, C, H, W). */
function zeroLeadingChannels(x: Tensor, keepFrom: number): Tensor {
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const plane = x.size / (n * c);
  const out = x.f32.slice();
  for (let i = 0; i < n; i++) out.fill(0, i * c * plane, (i * c + keepFrom) * plane);
  return new Tensor(out, [...x.shape]);
}

/**
 * Run `fn` with the long connections of every dense block cut. At each concatenating junction
 * the skip carries the sources so far; the first weighted layer of the branch reading them (after
 * the layer's batch norm and ReLU, as a zeroed weight would) sees all but the last one zeroed.
 */
export function withLongDenseConnectionsCut<T>(run: LabRun, fn: () => T): T {
  let cut: { channels: number; keepFrom: number } | null = null;
  let cuts = 0;
  return withHooks(
    () => [
      ...weightedModules(run.model).map(([, module]) => module.registerForwardPreHook((_m, x) => {
        if (!cut || x.shape[1] !== cut.channels) return undefined;
        const { keepFrom } = cut;
        cut = null;
        return zeroLeadingChannels(x, keepFrom);
      })),
      ...skipBlocks(run.model).map(({ module }) => module.registerForwardHook((_m, x, y) => {
        const sources = [{ start: 0, end: x.shape[1]! }];
        let blockCuts = 0;
        const out = module.forwardJunctions(x, (j) => {
          if (j.merge !== 'concat' || j.kind === 'none') return evaluateJunction(j);
          const last = sources[sources.length - 1]!;
          if (last.start > 0) {
            cut = { channels: j.input.shape[1]!, keepFrom: last.start };
            blockCuts++;
          }
          const branch = j.branch();
          cut = null;
          sources.push({ start: last.end, end: last.end + branch.shape[1]! });
          return j.join(branch, j.shortcut());
        });
        // Only a block whose output is its concatenated sources (a dense block) is replaced.
        if (blockCuts === 0 || out.shape[1] !== y.shape[1] || y.shape[1] !== sources[sources.length - 1]!.end) return undefined;
        cuts += blockCuts;
        return out;
      })),
    ],
    () => {
      const result = fn();
      if (cuts === 0) throw new Error('withLongDenseConnectionsCut: the model has no dense block with long connections');
      return result;
    },
  );
}

/** Per held-out image, whether the model is right with every connection and with the long ones cut. */
export function denseCutTest(run: LabRun): { correct: number[]; correctCut: number[] } {
  const correct = correctPerImage(run);
  const correctCut = withLongDenseConnectionsCut(run, () => correctPerImage(run));
  return { correct, correctCut };
}
