/**
 * A counter-based uniform draw in [0, 1): a pure function of (seed, index), so every backend
 * (TypeScript, WebAssembly, C++) produces the same dropout mask for the same seed without sharing
 * generator state. The mixer is the 32-bit finaliser of MurmurHash3 applied to seed ⊕ index·φ.
 * In C: uint32_t h = seed ^ (index * 0x9E3779B1u); h ^= h >> 16; h *= 0x85EBCA6Bu;
 *       h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16; return h * 2^-32;
 */
export function dropoutUniform(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) * 2.3283064365386963e-10;
}
