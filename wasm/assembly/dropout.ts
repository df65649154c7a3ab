// Inverted dropout with the counter-based draw of src/backend/counter-random.ts: keep element i
// iff uniform(seed, i) ≥ p, so every backend draws the same mask for the same seed.

/** MurmurHash3's 32-bit finaliser of seed ⊕ index·0x9E3779B1, scaled to [0, 1). */
// @ts-ignore: decorator
@inline
function dropoutUniform(seed: u32, index: u32): f64 {
  let h = seed ^ (index * 0x9e3779b1);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return <f64>h * 2.3283064365386963e-10;
}

export function dropoutForward(x: usize, n: i32, p: f64, seed: u32, out: usize, mask: usize): void {
  const scale: f32 = p < 1 ? <f32>(1 / (1 - p)) : 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m: f32 = dropoutUniform(seed, <u32>i) >= p ? scale : 0;
    store<f32>(mask + o, m);
    store<f32>(out + o, load<f32>(x + o) * m);
  }
}
