import { describe, expect, it } from 'vitest';
import { add } from '../../src/autograd/functions/binary.js';
import { mean, sum } from '../../src/autograd/functions/reduce.js';
import { mulScalar } from '../../src/autograd/functions/scalar.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { lesionableBlocks, withLesions } from '../../src/analysis/lesion.js';
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

/** A stack of such blocks with its skips listed, and nothing else. */
class ToyNet extends Module implements HasSkips {
  blocks: ScaledBranchBlock[];

  constructor(scales: readonly number[]) {
    super();
    this.blocks = scales.map((a) => new ScaledBranchBlock(a));
  }

  forward(x: Tensor): Tensor {
    return this.blocks.reduce((h, block) => block.forward(h), x);
  }

  skips(): SkipEdge[] {
    return chainSkips(this.blocks.map((b, i) => [`blocks.${i}`, b] as const), 'input');
  }
}

describe('analysis of a block type it has never seen', () => {
  const x = randn([3, 5], { rng: new Rng(1) });

  it('lesions it: a deleted block outputs its skip, y = x', () => {
    const model = new ToyNet([0.5, 2, -0.25]);
    expect(lesionableBlocks(model, x)).toEqual(['blocks.0', 'blocks.1', 'blocks.2']);
    const out = (m: ToyNet) => Array.from(noGrad(() => m.forward(x)).f32);
    // Deleting block 1 leaves (1 + 0.5)(1 − 0.25) x.
    const lesioned = withLesions(model, ['blocks.1'], () => out(model));
    lesioned.forEach((v, i) => expect(v).toBeCloseTo(1.5 * 0.75 * x.f32[i]!, 6));
    out(model).forEach((v, i) => expect(v).toBeCloseTo(1.5 * 3 * 0.75 * x.f32[i]!, 5));
  });

  it("routes Veit et al.'s paths through it: a path through k branches of scale a carries a^k", () => {
    const a = 0.5;
    const model = new ToyNet([a, a, a, a]);
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
    const ratios = residualRatios(new ToyNet([0.5, -3]), x);
    expect(ratios.map((r) => r.branchRatio)).toEqual([expect.closeTo(0.5, 6), expect.closeTo(3, 6)]);
  });
});
