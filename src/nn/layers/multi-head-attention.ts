import { dropout } from '../../autograd/functions/dropout.js';
import { linear } from '../../autograd/functions/linear.js';
import { matmul } from '../../autograd/functions/matmul.js';
import { permute, transpose } from '../../autograd/functions/permute.js';
import { reshape } from '../../autograd/functions/reshape.js';
import { mulScalar } from '../../autograd/functions/scalar.js';
import { narrow } from '../../autograd/functions/slice.js';
import { softmax } from '../../autograd/functions/softmax.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { xavierUniform_ } from '../init.js';
import { Module, Parameter } from '../module.js';
import { Linear } from './linear.js';

/** Multi-head attention options: attention dropout, projection biases and the init generator. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights (training only). */
  dropout?: number;
  bias?: boolean;
  rng?: Rng;
}

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017 §3.2) with PyTorch's
 * nn.MultiheadAttention(batch_first=True) parameters and names: `in_proj_weight` (3E, E) packs
 * W_q, W_k, W_v; `in_proj_bias` (3E); `out_proj` (E -> E). Inputs are (N, L, E).
 *
 * `forward(x)` is self-attention; `attend(query, key, value)` the general form.
 */
export class MultiHeadAttention extends Module {
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  private readonly dropRng: Rng;

  constructor(readonly embedDim: number, readonly numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new Error(`MultiHeadAttention: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    }
    const rng = options.rng ?? globalRng();
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    if (this.dropout < 0 || this.dropout >= 1) throw new RangeError(`MultiHeadAttention: dropout ${this.dropout} is outside [0, 1)`);
    this.dropRng = rng;
    // PyTorch's _reset_parameters: xavier_uniform_ on the packed projection, zero biases.
    this.in_proj_weight = new Parameter(new Float32Array(3 * embedDim * embedDim), [3 * embedDim, embedDim]);
    xavierUniform_(this.in_proj_weight, rng);
    const bias = options.bias ?? true;
    this.in_proj_bias = bias ? new Parameter(new Float32Array(3 * embedDim), [3 * embedDim]) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, rng });
    this.out_proj.bias?.f32.fill(0);
  }

  forward(x: Tensor): Tensor {
    return this.attend(x, x, x);
  }

  /** softmax(Q Kᵀ / √d) V per head, heads concatenated and projected. query (N, Lq, E), key/value (N, Lk, E). */
  attend(query: Tensor, key: Tensor, value: Tensor): Tensor {
    const e = this.embedDim;
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.ndim !== 3 || t.shape[2] !== e) throw new ShapeError(`MultiHeadAttention: ${name} must be (N, L, ${e}), got ${formatShape(t.shape)}`);
    }
    const [n, lq] = query.shape as [number, number, number];
    const lk = key.shape[1]!;
    if (key.shape[0] !== n || value.shape[0] !== n || value.shape[1] !== lk) {
      throw new ShapeError(`MultiHeadAttention: query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${formatShape(value.shape)} do not agree`);
    }
    const project = (t: Tensor, part: number): Tensor => {
      const w = narrow(this.in_proj_weight, 0, part * e, e); // (E, E)
      const b = this.in_proj_bias ? narrow(this.in_proj_bias, 0, part * e, e) : null;
      return linear(t, w, b); // (N, L, E)
    };
    // (N, L, E) -> (N, H, L, d)
    const heads = (t: Tensor, l: number): Tensor => permute(reshape(t, [n, l, this.numHeads, this.headDim]), [0, 2, 1, 3]);
    const q = heads(project(query, 0), lq);
    const k = heads(project(key, 1), lk);
    const v = heads(project(value, 2), lk);
    const scores = mulScalar(matmul(q, transpose(k, -2, -1)), 1 / Math.sqrt(this.headDim)); // (N, H, Lq, Lk)
    let weights = softmax(scores, -1);
    if (this.dropout > 0) weights = dropout(weights, this.dropout, this.training, this.dropRng);
    const context = matmul(weights, v); // (N, H, Lq, d)
    const merged = reshape(permute(context, [0, 2, 1, 3]), [n, lq, e]); // (N, Lq, E)
    return this.out_proj.forward(merged);
  }

  override multiplyAdds(input: Tensor, output: Tensor): number {
    const l = input.shape[1] ?? 0;
    // Q, K, V projections + the two attention products (out_proj counts itself).
    return 3 * input.size * this.embedDim + 2 * output.shape[0]! * l * l * this.embedDim;
  }

  override describe(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}`;
  }
}
