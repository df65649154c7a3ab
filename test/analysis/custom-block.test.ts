import { describe, expect, it } from 'vitest';
import { add } from '../../src/autograd/functions/binary.js';
import { mean, sum } from '../../src/autograd/functions/reduce.js';
import { reshape } from '../../src/autograd/functions/reshape.js';
import { mulScalar } from '../../src/autograd/functions/scalar.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { lesionableBlocks, lesionEachBlock, lesionRandomBlocks, withLesions } from '../../src/analysis/lesion.js';
import { gradientByPathLength } from '../../src/analysis/paths.js';
import { residualRatios } from '../../src/analysis/representations.js';
import { evaluateJunction, type JunctionRule, type SkipBlock } from '../../src/blocks/skip-block.js';
import { chainSkips, type HasSkips, type SkipEdge } from '../../src/blocks/skip.js';
import { Module } from '../../src/nn/module.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

/**
 * A block type that exists only here: y = x + a·x, a scaled identity branch with an identity
 * skip. Analysis must handle it through the SkipBlock interface alone — nothing in src/analysis
 * knows this class.
 */
class ScaledBranchBlock extends Module implements SkipBlock {
  readonly skipKind = 'identity';

  constructor(readonly scale: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, evaluateJunction);
  }

  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    return rule({
      kind: 'identity',
      merge: 'add',
      input: x,
      branch: () => mulScalar(x, this.scale), // F(x) = a·x
      shortcut: () => x,
      join: (f, s) => (s ? add(s, f) : f),
    });
  }

  makeIdentity(): void {
    throw new Error('ScaledBranchBlock: its scale is fixed');
  }
}

/**
 * A downsampling block of the same kind: y = P(x) + a·P(x), where the skip P averages adjacent
 * features, (N, 2d) -> (N, d) — like a stride-2 ResNet block, its output has another shape than
 * its input, so a lesion study must leave it out (Veit et al. 2016 §4).
 */
class HalvingBlock extends Module implements SkipBlock {
  readonly skipKind = 'projection';

  constructor(readonly scale: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, evaluateJunction);
  }

  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    const [n, features] = [x.shape[0]!, x.shape[1]!]; // (N, 2d)
    const pooled = (): Tensor => mean(reshape(x, [n, features / 2, 2]), 2); // (N, d)
    return rule({
      kind: 'projection',
      merge: 'add',
      input: x,
      branch: () => mulScalar(pooled(), this.scale),
      shortcut: pooled,
      join: (f, s) => (s ? add(s, f) : f),
    });
  }

  makeIdentity(): void {
    throw new Error('HalvingBlock: it changes the shape');
  }
}

/** A stack of such blocks with its skips listed, and nothing else. */
class ToyNet extends Module implements HasSkips {
  constructor(readonly blocks: (Module & SkipBlock)[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.blocks.reduce((h, block) => block.forward(h), x);
  }

  skips(): SkipEdge[] {
    return chainSkips(this.blocks.map((b, i) => [`blocks.${i}`, b] as const), 'input');
  }
}

const scaled = (scales: readonly number[]): ToyNet => new ToyNet(scales.map((a) => new ScaledBranchBlock(a)));

describe('analysis of a block type it has never seen', () => {
  const x = randn([3, 5], { rng: new Rng(1) });

  it('lesions it: a deleted block outputs its skip, y = x', () => {
    const model = scaled([0.5, 2, -0.25]);
    expect(lesionableBlocks(model, x)).toEqual(['blocks.0', 'blocks.1', 'blocks.2']);
    const out = (m: ToyNet) => Array.from(noGrad(() => m.forward(x)).f32);
    // Deleting block 1 leaves (1 + 0.5)(1 − 0.25) x.
    const lesioned = withLesions(model, ['blocks.1'], () => out(model));
    lesioned.forEach((v, i) => expect(v).toBeCloseTo(1.5 * 0.75 * x.f32[i]!, 6));
    out(model).forEach((v, i) => expect(v).toBeCloseTo(1.5 * 3 * 0.75 * x.f32[i]!, 5));
  });

  it('leaves its downsampling block out of the lesion study, though that block could be deleted', () => {
    const wide = randn([3, 6], { rng: new Rng(3) });
    const model = new ToyNet([new ScaledBranchBlock(0.5), new HalvingBlock(2), new ScaledBranchBlock(-0.25)]);
    const batches = [{ x: wide, y: intTensor([0, 1, 2]) }];
    expect(lesionableBlocks(model, wide)).toEqual(['blocks.0', 'blocks.2']);
    // Deleting it is possible (y = P(x), the output's shape): the study chooses not to.
    expect(noGrad(() => withLesions(model, ['blocks.1'], () => model.forward(wide))).shape).toEqual([3, 3]);
    const single = lesionEachBlock(model, batches);
    expect(single.lesions.map((l) => l.block)).toEqual(['blocks.0', 'blocks.2']);
    expect(single.excluded).toEqual(['blocks.1']);
    expect(lesionRandomBlocks(model, batches, { rng: new Rng(4), trials: 3 }).candidates).toEqual(['blocks.0', 'blocks.2']);
  });

  it("routes Veit et al.'s paths through it: a path through k branches of scale a carries a^k", () => {
    const a = 0.5;
    const model = scaled([a, a, a, a]);
    const batch = { x, y: intTensor([0, 0, 0]) };
    // L = mean over examples of the sum of outputs: ∂L/∂x of one example is a^k · 1 / N on a path of length k.
    const loss = (output: Tensor): Tensor => mean(sum(output, 1), 0);
    const before = modelState(model);
    const result = gradientByPathLength(model, batch, { rng: new Rng(2), samplesPerLength: 3, loss });
    expect(result.blocks).toBe(4);
    result.gradientByLength.forEach((g, k) => expect(g.gradientNorm).toBeCloseTo(a ** k * Math.sqrt(5), 5));
    expect(modelState(model)).toEqual(before);
  });

  it('measures its branch against its skip: ‖F(x)‖/‖x‖ = |a|', () => {
    const ratios = residualRatios(scaled([0.5, -3]), x);
    expect(ratios.map((r) => r.branchRatio)).toEqual([expect.closeTo(0.5, 6), expect.closeTo(3, 6)]);
  });
});
