import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../../src/autograd/gradcheck.js';
import { MultiHeadAttention } from '../../../src/nn/layers/multi-head-attention.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randn, type Tensor } from '../../../src/tensor/tensor.js';

/** Attention written out with loops over plain numbers, straight from Vaswani et al. §3.2.2. */
function naiveAttention(mha: MultiHeadAttention, q: Tensor, k: Tensor, v: Tensor): number[] {
  const e = mha.embedDim;
  const h = mha.numHeads;
  const d = e / h;
  const [n, lq] = q.shape as [number, number];
  const lk = k.shape[1]!;
  const w = mha.in_proj_weight.f32;
  const b = mha.in_proj_bias!.f32;
  const proj = (t: Tensor, part: number, batch: number, pos: number, out: number): number => {
    let s = b[part * e + out]!;
    for (let i = 0; i < e; i++) s += w[(part * e + out) * e + i]! * t.f32[(batch * t.shape[1]! + pos) * e + i]!;
    return s;
  };
  const result: number[] = [];
  for (let bi = 0; bi < n; bi++) {
    for (let i = 0; i < lq; i++) {
      const merged = new Array<number>(e).fill(0);
      for (let head = 0; head < h; head++) {
        const scores: number[] = [];
        for (let j = 0; j < lk; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += proj(q, 0, bi, i, head * d + c) * proj(k, 1, bi, j, head * d + c);
          scores.push(s / Math.sqrt(d));
        }
        const m = Math.max(...scores);
        const ex = scores.map((s) => Math.exp(s - m));
        const z = ex.reduce((a, c) => a + c, 0);
        for (let c = 0; c < d; c++) {
          let s = 0;
          for (let j = 0; j < lk; j++) s += (ex[j]! / z) * proj(v, 2, bi, j, head * d + c);
          merged[head * d + c] = s;
        }
      }
      const ow = mha.out_proj.weight.f32;
      const ob = mha.out_proj.bias!.f32;
      for (let o = 0; o < e; o++) {
        let s = ob[o]!;
        for (let c = 0; c < e; c++) s += ow[o * e + c]! * merged[c]!;
        result.push(s);
      }
    }
  }
  return result;
}

describe('MultiHeadAttention', () => {
  it('has PyTorch names and shapes', () => {
    const mha = new MultiHeadAttention(8, 2, { rng: new Rng(1) });
    const state = mha.stateDict();
    expect(Object.keys(state)).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(state.in_proj_weight!.shape).toEqual([24, 8]);
    expect(Array.from(state.in_proj_bias!.data).every((x) => x === 0)).toBe(true);
    expect(mha.parameterCount()).toBe(4 * 8 * 8 + 4 * 8);
  });

  it('matches attention computed by hand, for self- and cross-attention', () => {
    const rng = new Rng(2);
    const mha = new MultiHeadAttention(6, 3, { rng });
    for (let i = 0; i < mha.in_proj_bias!.size; i++) mha.in_proj_bias!.f32[i] = 0.1 * rng.normal();
    const x = randn([2, 4, 6], { rng });
    const self = mha.forward(x);
    expect(self.shape).toEqual([2, 4, 6]);
    naiveAttention(mha, x, x, x).forEach((v, i) => expect(self.f32[i]).toBeCloseTo(v, 4));
    const q = randn([2, 3, 6], { rng });
    const kv = randn([2, 5, 6], { rng });
    const value = randn([2, 5, 6], { rng });
    const cross = mha.attend(q, kv, value);
    expect(cross.shape).toEqual([2, 3, 6]);
    naiveAttention(mha, q, kv, value).forEach((v, i) => expect(cross.f32[i]).toBeCloseTo(v, 4));
  });

  it('passes gradcheck for the input and every parameter', () => {
    const rng = new Rng(3);
    const mha = new MultiHeadAttention(4, 2, { rng });
    const x = randn([2, 3, 4], { rng, requiresGrad: true });
    const result = gradcheck((input) => mha.forward(input), [x, ...mha.parameters()], { eps: 1e-3 });
    expect(result.ok, result.message).toBe(true);
  });

  it('names the problem for bad shapes', () => {
    expect(() => new MultiHeadAttention(6, 4)).toThrow(/embedDim 6 is not divisible by numHeads 4/);
    const mha = new MultiHeadAttention(4, 2);
    expect(() => mha.forward(randn([2, 4]))).toThrow(/query must be \(N, L, 4\), got \[2, 4\]/);
    expect(() => mha.attend(randn([2, 3, 4]), randn([2, 5, 4]), randn([2, 4, 4]))).toThrow(/do not agree/);
  });
});
