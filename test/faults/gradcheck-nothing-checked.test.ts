import { describe, expect, it } from 'vitest';
import * as F from '../../src/autograd/functions/index.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

/**
 * Fault: `gradcheck` reported ok when no input required a gradient (nothing was compared, so
 * the worst error was 0). A check that compared nothing now fails and says so.
 */
describe('fault: gradcheck passes when it checked nothing', () => {
  it('fails when the inputs need no gradient, even though the output does (a captured weight)', () => {
    const rng = new Rng(3);
    const weight = randn([3, 4], { rng, requiresGrad: true });
    const x = randn([2, 4], { rng });
    const result = gradcheck((input) => F.linear(input!, weight), [x]);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/checked nothing — no input requires a gradient/);
  });

  it('fails for an empty input that requires a gradient', () => {
    const empty = randn([0, 3], { rng: new Rng(1), requiresGrad: true });
    const weight = randn([3], { rng: new Rng(2), requiresGrad: true });
    expect(gradcheck((e) => F.add(F.sum(e!), F.sum(weight)), [empty]).ok).toBe(false);
  });

  it('still passes a real check and counts what it compared', () => {
    const x = randn([2, 3], { rng: new Rng(4), requiresGrad: true });
    const result = gradcheck((input) => F.tanh(input!), [x]);
    expect(result.ok, result.message).toBe(true);
  });
});
