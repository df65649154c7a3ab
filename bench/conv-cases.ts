import type { Conv2dParams } from '../src/backend/backend.js';
import type { Rng } from '../src/tensor/rng.js';

/** Standard-normal values, for benchmark inputs. */
export function randomArray(rng: Rng, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.normal();
  return out;
}

/** One 3x3 conv layer of a ResNet-20 stage with its buffers, as every kernel benchmark times it. */
export interface ConvCase {
  label: string;
  flops: number;
  params: Conv2dParams;
  xShape: number[];
  wShape: number[];
  x: Float32Array;
  w: Float32Array;
  bias: Float32Array;
  y: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** The three stages of ResNet-20 (He et al. 2015 §4.2: 16/32/64 channels at 32/16/8 pixels). */
export function resnet20ConvCases(rng: Rng, batch: number): ConvCase[] {
  const params: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
  return ([[16, 32], [32, 16], [64, 8]] as const).map(([channels, size]) => {
    const x = randomArray(rng, batch * channels * size * size);
    const w = randomArray(rng, channels * channels * 9);
    return {
      label: `conv ${channels}ch ${size}x${size} N=${batch}`,
      flops: 2 * batch * channels * size * size * channels * 9,
      params, xShape: [batch, channels, size, size], wShape: [channels, channels, 3, 3],
      x, w, bias: randomArray(rng, channels), y: new Float32Array(x.length), dy: randomArray(rng, x.length),
      dx: new Float32Array(x.length), dw: new Float32Array(w.length),
    };
  });
}
