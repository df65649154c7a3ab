import { describe, expect, it } from 'vitest';
import { kinkAwareGradcheck } from '../helpers/kink-aware-gradcheck.js';
import '../../src/autograd/index.js';
import { BasicBlock, Bottleneck, PreActBlock, type ResidualBlock } from '../../src/blocks/residual.js';
import { IdentityShortcut, makeShortcut, ProjectionShortcut, ZeroPadShortcut } from '../../src/blocks/shortcuts.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

const rng = new Rng(11);

/** Give every BN non-trivial affine parameters and running statistics, so eval mode is not a no-op. */
function randomizeBatchNorms(block: ResidualBlock, rng: Rng): void {
  for (const m of block.modules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    for (let c = 0; c < m.numFeatures; c++) {
      m.weight!.f32[c] = 0.5 + rng.uniform();
      m.bias!.f32[c] = 0.3 * rng.normal();
      m.running_mean!.f32[c] = 0.2 * rng.normal();
      m.running_var!.f32[c] = 0.5 + rng.uniform();
    }
  }
}

type Factory = (skip: 'identity' | 'none', rng: Rng) => ResidualBlock;
/** name, factory, input shape, optional seed. */
const blockCases: [string, Factory, number[], number?][] = [
  ['BasicBlock (identity)', (skip, rng) => new BasicBlock(3, 3, { skip, rng }), [2, 3, 4, 4]],
  ['BasicBlock (option A, stride 2)', (skip, rng) => new BasicBlock(2, 4, { stride: 2, skip, shortcut: 'A', rng }), [2, 2, 5, 5]],
  ['BasicBlock (option B, stride 2)', (skip, rng) => new BasicBlock(2, 4, { stride: 2, skip, shortcut: 'B', rng }), [2, 2, 4, 4]],
  ['Bottleneck (projection)', (skip, rng) => new Bottleneck(4, 2, { stride: 2, skip, rng }), [2, 4, 4, 4], 3],
  ['Bottleneck (identity)', (skip, rng) => new Bottleneck(8, 2, { skip, rng }), [2, 8, 3, 3]],
  ['PreActBlock (identity)', (skip, rng) => new PreActBlock(3, 3, { skip, rng }), [2, 3, 4, 4]],
  ['PreActBlock (projection)', (skip, rng) => new PreActBlock(2, 4, { stride: 2, skip, shortcut: 'C', rng }), [2, 2, 4, 4]],
];

describe('residual blocks: gradcheck in skip and plain form', () => {
  for (const [name, make, shape, seed] of blockCases) {
    for (const skip of ['identity', 'none'] as const) {
      it(`${name}, skip ${skip}`, () => {
        const rng = new Rng(seed ?? 2);
        const block = make(skip, rng);
        randomizeBatchNorms(block, rng);
        // Running statistics make the block a fixed function of x and the weights.
        block.eval();
        const x = randn(shape, { rng, requiresGrad: true });
        const result = kinkAwareGradcheck((input) => block.forward(input), [x, ...block.parameters()]);
        expect(result.ok, result.message).toBe(true);
      });
    }
  }

  it('BasicBlock in training mode (batch statistics) passes gradcheck too', () => {
    const block = new BasicBlock(3, 3, { rng: new Rng(4) });
    // Batch-norm divides by the batch std; PyTorch-default small weights make that std tiny and
    // finite differences ill-conditioned, so weights are scaled up (the gradient is still exact).
    for (const w of [block.conv1.weight, block.conv2.weight]) for (let i = 0; i < w.size; i++) w.f32[i]! *= 5;
    const x = randn([2, 3, 4, 4], { rng: new Rng(5), requiresGrad: true });
    const result = kinkAwareGradcheck((input) => block.forward(input), [x, ...block.parameters()]);
    expect(result.ok, result.message).toBe(true);
  });
});

describe('residual blocks: structure', () => {
  it('the plain twin has the same parameters as the skip block minus the projection', () => {
    const withSkip = new Bottleneck(8, 4, { stride: 2, rng: new Rng(1) });
    const plain = new Bottleneck(8, 4, { stride: 2, skip: 'none', rng: new Rng(1) });
    const plainNames = plain.namedParameters().map(([n]) => n);
    const skipNames = withSkip.namedParameters().map(([n]) => n);
    expect(skipNames.filter((n) => !n.startsWith('downsample.'))).toEqual(plainNames);
    expect(skipNames.some((n) => n.startsWith('downsample.'))).toBe(true);
    // Same seed, same main path: identical weights.
    const p = plain.stateDict();
    for (const [k, v] of Object.entries(withSkip.stateDict())) if (k in p) expect(Array.from(v.data)).toEqual(Array.from(p[k]!.data));
  });

  it('declares its skip kind from its shortcut', () => {
    expect(new BasicBlock(4, 4).skipKind).toBe('identity');
    expect(new BasicBlock(4, 8, { stride: 2, shortcut: 'A' }).skipKind).toBe('zero-pad');
    expect(new BasicBlock(4, 8, { stride: 2, shortcut: 'B' }).skipKind).toBe('projection');
    expect(new BasicBlock(4, 4, { shortcut: 'C' }).skipKind).toBe('projection');
    expect(new BasicBlock(4, 8, { stride: 2, skip: 'none' }).skipKind).toBe('none');
  });

  it('forward is relu(F(x) + x) for an identity block and relu(F(x)) for its plain twin', () => {
    const block = new BasicBlock(2, 2, { rng: new Rng(3) }).eval();
    const x = randn([1, 2, 3, 3], { rng });
    const branch = block.residual(x);
    const y = block.forward(x);
    for (let i = 0; i < y.size; i++) expect(y.f32[i]).toBeCloseTo(Math.max(0, branch.f32[i]! + x.f32[i]!), 5);
    const plain = new BasicBlock(2, 2, { rng: new Rng(3), skip: 'none' }).eval();
    const yPlain = plain.forward(x);
    for (let i = 0; i < y.size; i++) expect(yPlain.f32[i]).toBeCloseTo(Math.max(0, branch.f32[i]!), 5);
  });

  it('zeroInitResidual makes the block equal to relu(shortcut(x))', () => {
    const block = new BasicBlock(2, 4, { stride: 2, shortcut: 'A', rng }).eval();
    block.zeroInitResidual();
    const x = randn([2, 2, 5, 5], { rng });
    expect(Array.from(block.forward(x).f32)).toEqual(Array.from(block.lesionedForward(x).f32));
    const pre = new PreActBlock(3, 3, { rng }).eval();
    pre.zeroInitResidual();
    const x3 = randn([1, 3, 4, 4], { rng });
    expect(Array.from(pre.forward(x3).f32)).toEqual(Array.from(x3.f32));
  });

  it('stochastic depth drops whole samples in training and is the identity in evaluation', () => {
    const block = new BasicBlock(2, 2, { survivalProbability: 0.5, rng: new Rng(5) });
    block.zeroInitResidual(); // irrelevant to drop-path; keep BN in batch mode but check structure
    for (const m of block.modules()) if (m instanceof BatchNorm2d) m.weight!.f32.fill(1);
    const x = randn([64, 2, 3, 3], { rng });
    const y = block.forward(x);
    const shortcutOnly = block.lesionedForward(x);
    const perSample = 2 * 3 * 3;
    let dropped = 0;
    for (let n = 0; n < 64; n++) {
      let same = true;
      for (let i = n * perSample; i < (n + 1) * perSample; i++) if (y.f32[i] !== shortcutOnly.f32[i]) same = false;
      if (same) dropped++;
    }
    expect(dropped).toBeGreaterThan(16);
    expect(dropped).toBeLessThan(48);
    block.eval();
    const branch = block.residual(x);
    const yEval = block.forward(x);
    for (let i = 0; i < 50; i++) expect(yEval.f32[i]).toBeCloseTo(Math.max(0, branch.f32[i]! + x.f32[i]!), 5);
  });

  it('rejects a survival probability outside (0, 1]', () => {
    expect(() => new BasicBlock(2, 2, { survivalProbability: 0 })).toThrow(/survivalProbability 0/);
    expect(() => new BasicBlock(2, 2, { survivalProbability: 1.5 })).toThrow(/BasicBlock/);
    expect(() => new BasicBlock(2, 2, { survivalProbability: 0.5, skip: 'none' })).toThrow(/needs a shortcut/);
  });
});

describe('shortcuts', () => {
  it('option A subsamples x[:, :, ::2, ::2] and appends zero channels', () => {
    const x = randn([1, 2, 5, 5], { rng });
    const y = new ZeroPadShortcut(2, 6, 2).forward(x);
    expect(y.shape).toEqual([1, 6, 3, 3]);
    const at = (t: Tensor, c: number, h: number, w: number): number => t.f32[(c * t.shape[2]! + h) * t.shape[3]! + w]!;
    for (let c = 0; c < 6; c++) {
      for (let h = 0; h < 3; h++) {
        for (let w = 0; w < 3; w++) {
          const expected = c < 2 ? at(x, c, 2 * h, 2 * w) : 0;
          expect(at(y, c, h, w)).toBe(expected);
        }
      }
    }
  });

  it('option A has no parameters; B projects only when shapes change; C always', () => {
    expect(makeShortcut(4, 8, 2, { skip: 'identity', option: 'A' })).toBeInstanceOf(ZeroPadShortcut);
    expect(makeShortcut(4, 8, 2, { skip: 'identity', option: 'A' })!.parameterCount()).toBe(0);
    expect(makeShortcut(4, 4, 1, { skip: 'identity', option: 'B' })).toBeInstanceOf(IdentityShortcut);
    const b = makeShortcut(4, 8, 2, { skip: 'identity', option: 'B' })!;
    expect(b).toBeInstanceOf(ProjectionShortcut);
    expect(Object.keys(b.stateDict())).toEqual(['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
    expect(makeShortcut(4, 4, 1, { skip: 'identity', option: 'C' })).toBeInstanceOf(ProjectionShortcut);
    expect(makeShortcut(4, 8, 2, { skip: 'none', option: 'C' })).toBeNull();
  });

  it('names the problem for a bad input', () => {
    expect(() => new ZeroPadShortcut(8, 4, 2)).toThrow(/cannot zero-pad 8 channels down to 4/);
    expect(() => new ZeroPadShortcut(2, 4, 2).forward(randn([1, 3, 4, 4]))).toThrow(/ZeroPadShortcut\(2 -> 4\).*\[1, 3, 4, 4\]/);
  });
});
