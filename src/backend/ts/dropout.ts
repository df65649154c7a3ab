import { dropoutUniform } from '../counter-random.js';

export function dropoutForward(x: Float32Array, p: number, seed: number, out: Float32Array, mask: Float32Array): void {
  const scale = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < x.length; i++) {
    const m = dropoutUniform(seed, i) >= p ? scale : 0;
    mask[i] = m;
    out[i] = x[i]! * m;
  }
}
