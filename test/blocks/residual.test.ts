import { describe, expect, it } from 'vitest';
import { kinkAwareGradcheck } from '../helpers/kink-aware-gradcheck.js';
import { BasicBlock, Bottleneck, PreActBlock, type ResidualBlock } from '../../src/blocks/residual.js';
import { IdentityShortcut, makeShortcut, ProjectionShortcut, shortcutKindFor, ZeroPadShortcut } from '../../src/blocks/shortcuts.js';
import { evaluateJunction, withoutBranch } from '../../src/blocks/skip-block.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { maxRelativeError } from '../helpers/backends.js';
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

/** Builds the block with its skip, or its plain twin when `plain`. */
type Factory = (plain: boolean, rng: Rng) => ResidualBlock;
const twin = <K extends 'identity' | 'zero-pad' | 'projection'>(kind: K, plain: boolean): K | 'none' => (plain ? 'none' : kind);
/** name, factory, input shape, optional seed. */
const blockCases: [string, Factory, number[], number?][] = [
  ['BasicBlock (identity)', (plain, rng) => new BasicBlock(3, 3, { skip: twin('identity', plain), rng }), [2, 3, 4, 4]],
  ['BasicBlock (zero-pad, stride 2)', (plain, rng) => new BasicBlock(2, 4, { stride: 2, skip: twin('zero-pad', plain), rng }), [2, 2, 5, 5]],
  ['BasicBlock (projection, stride 2)', (plain, rng) => new BasicBlock(2, 4, { stride: 2, skip: twin('projection', plain), rng }), [2, 2, 4, 4]],
  ['Bottleneck (projection)', (plain, rng) => new Bottleneck(4, 2, { stride: 2, skip: twin('projection', plain), rng }), [2, 4, 4, 4], 3],
  ['Bottleneck (identity)', (plain, rng) => new Bottleneck(8, 2, { skip: twin('identity', plain), rng }), [2, 8, 3, 3]],
  ['PreActBlock (identity)', (plain, rng) => new PreActBlock(3, 3, { skip: twin('identity', plain), rng }), [2, 3, 4, 4]],
  ['PreActBlock (projection)', (plain, rng) => new PreActBlock(2, 4, { stride: 2, skip: twin('projection', plain), rng }), [2, 2, 4, 4]],
];

describe('residual blocks: gradcheck in skip and plain form', () => {
  for (const [name, make, shape, seed] of blockCases) {
    for (const plain of [false, true]) {
      it(`${name}${plain ? ', plain twin' : ''}`, () => {
        const rng = new Rng(seed ?? 2);
        const block = make(plain, rng);
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

  it('builds exactly the shortcut its skip names, and declares it as its skip kind', () => {
    expect(new BasicBlock(4, 4).skipKind).toBe('identity');
    expect(new BasicBlock(4, 8, { stride: 2 }).skipKind).toBe('projection'); // torchvision's default, option B
    expect(new BasicBlock(4, 8, { stride: 2, skip: 'zero-pad' }).skipKind).toBe('zero-pad');
    expect(new BasicBlock(4, 8, { stride: 2, skip: 'projection' }).skipKind).toBe('projection');
    expect(new BasicBlock(4, 4, { skip: 'projection' }).downsample).toBeInstanceOf(ProjectionShortcut); // option C, per block
    expect(new BasicBlock(4, 8, { stride: 2, skip: 'none' }).skipKind).toBe('none');
    expect(() => new BasicBlock(4, 8, { stride: 2, skip: 'identity' })).toThrow(/BasicBlock: an identity shortcut cannot map 4 channels at stride 2 to 8; use 'zero-pad' \(option A\) or 'projection'/);
  });

  it('has one junction that reproduces forward and, with its branch deleted, outputs merge(0, shortcut(x))', () => {
    for (const [name, make, shape] of blockCases) {
      for (const plain of [false, true]) {
        const rng = new Rng(9);
        const block = make(plain, rng);
        randomizeBatchNorms(block, rng);
        block.eval();
        const x = randn(shape, { rng });
        const junctions: string[] = [];
        const y = block.forwardJunctions(x, (j) => {
          junctions.push(`${j.kind}/${j.merge}`);
          return evaluateJunction(j);
        });
        expect(junctions, name).toEqual([`${block.skipKind}/${block instanceof PreActBlock ? 'add' : 'add-relu'}`]);
        expect(maxRelativeError(y.f32, block.forward(x).f32), `${name}${plain ? ' plain' : ''}`).toBeLessThan(1e-6);
        if (plain) continue;
        const lesioned = block.forwardJunctions(x, withoutBranch);
        const shortcut = block instanceof PreActBlock && block.skipKind === 'projection' ? block.downsample!.forward(block.bn1.forwardRelu(x)) : block.downsample!.forward(x);
        const expected = block instanceof PreActBlock ? shortcut.f32 : shortcut.f32.map((v) => Math.max(v, 0));
        expect(Array.from(lesioned.f32), name).toEqual(Array.from(expected));
      }
    }
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
    const block = new BasicBlock(2, 4, { stride: 2, skip: 'zero-pad', rng }).eval();
    block.zeroInitResidual();
    const x = randn([2, 2, 5, 5], { rng });
    expect(Array.from(block.forward(x).f32)).toEqual(Array.from(block.forwardJunctions(x, withoutBranch).f32));
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
    const shortcutOnly = block.forwardJunctions(x, withoutBranch);
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

  it("a net's skip maps onto §3.3's options: identity and zero-pad are A, projection is B", () => {
    for (const skip of ['identity', 'zero-pad'] as const) {
      expect(shortcutKindFor(skip, false)).toBe('identity');
      expect(shortcutKindFor(skip, true)).toBe('zero-pad');
    }
    expect(shortcutKindFor('projection', false)).toBe('identity');
    expect(shortcutKindFor('projection', true)).toBe('projection');
    expect(shortcutKindFor('none', true)).toBe('none');
  });

  it('makeShortcut builds the kind asked for: zero-pad without parameters, projection with torchvision names', () => {
    expect(makeShortcut('zero-pad', 4, 8, 2)).toBeInstanceOf(ZeroPadShortcut);
    expect(makeShortcut('zero-pad', 4, 8, 2)!.parameterCount()).toBe(0);
    expect(makeShortcut('identity', 4, 4, 1)).toBeInstanceOf(IdentityShortcut);
    const b = makeShortcut('projection', 4, 8, 2)!;
    expect(b).toBeInstanceOf(ProjectionShortcut);
    expect(Object.keys(b.stateDict())).toEqual(['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
    expect(makeShortcut('projection', 4, 4, 1)).toBeInstanceOf(ProjectionShortcut);
    expect(makeShortcut('none', 4, 8, 2)).toBeNull();
    expect(() => makeShortcut('identity', 4, 8, 1)).toThrow(/identity shortcut cannot map 4 channels/);
  });

  it('names the problem for a bad input', () => {
    expect(() => new ZeroPadShortcut(8, 4, 2)).toThrow(/cannot zero-pad 8 channels down to 4/);
    expect(() => new ZeroPadShortcut(2, 4, 2).forward(randn([1, 3, 4, 4]))).toThrow(/ZeroPadShortcut\(2 -> 4\).*\[1, 3, 4, 4\]/);
  });
});
