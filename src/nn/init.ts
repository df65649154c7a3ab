import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Initialisers (torch.nn.init), each filling a tensor in place from an explicit `Rng`.
 * fan_in / fan_out follow PyTorch: for a weight (O, I, k...) fan_in = I·Πk, fan_out = O·Πk.
 */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`init: fan in/out need at least 2 dimensions, got ${t.ndim}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** The activation a layer is followed by, for the gain of Kaiming initialisation (PyTorch's `calculate_gain`). */
export type Nonlinearity = 'relu' | 'linear' | 'leaky_relu' | 'tanh' | 'sigmoid';

/** PyTorch's calculate_gain. */
export function gain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    case 'tanh': return 5 / 3;
    default: return 1;
  }
}

/** Fill `t` in place with U(low, high) draws from `rng`. */
export function uniform_(t: Tensor, low: number, high: number, rng: Rng): Tensor {
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return t;
}

/** Fill `t` in place with N(mean, std²) draws from `rng`. */
export function normal_(t: Tensor, mean: number, std: number, rng: Rng): Tensor {
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** Fill `t` in place with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  t.f32.fill(value);
  return t;
}

/** Kaiming (He et al. 2015, "Delving deep") initialisation: negative slope `a`, fan mode and nonlinearity. */
export interface KaimingOptions {
  /** Negative slope for leaky ReLU; PyTorch's layer default uses a = √5. */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

/** He et al. 2015 ("Delving deep into rectifiers") uniform init. */
export function kaimingUniform_(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const g = gain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const bound = Math.sqrt(3) * (g / Math.sqrt(fan));
  return uniform_(t, -bound, bound, rng);
}

/** He et al. 2015 normal init; torchvision's ResNets use mode 'fan_out', relu. */
export function kaimingNormal_(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const g = gain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return normal_(t, 0, g / Math.sqrt(fan), rng);
}

/** Glorot & Bengio 2010 uniform init. */
export function xavierUniform_(t: Tensor, rng: Rng, gainValue = 1): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gainValue * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, rng);
}

/** PyTorch's default for Linear/Conv weights: kaiming_uniform(a=√5), i.e. U(±1/√fan_in). */
export function defaultWeightInit_(t: Tensor, rng: Rng): Tensor {
  return kaimingUniform_(t, rng, { a: Math.sqrt(5) });
}

/** PyTorch's default for Linear/Conv biases: U(±1/√fan_in) of the matching weight. */
export function defaultBiasInit_(bias: Tensor, fanIn: number, rng: Rng): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform_(bias, -bound, bound, rng);
}
