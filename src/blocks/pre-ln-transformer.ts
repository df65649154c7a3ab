import { add } from '../autograd/functions/binary.js';
import { dropout } from '../autograd/functions/dropout.js';
import { gelu } from '../autograd/functions/unary.js';
import { LayerNorm } from '../nn/layers/layer-norm.js';
import { Linear } from '../nn/layers/linear.js';
import { MultiHeadAttention } from '../nn/layers/multi-head-attention.js';
import { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SkipBlock } from './skip.js';

/** The position-wise feed-forward network: fc1 (E -> hidden), GELU, fc2 (hidden -> E). */
export class Mlp extends Module {
  fc1: Linear;
  fc2: Linear;

  constructor(readonly dim: number, readonly hidden: number, options: { rng?: Rng } = {}) {
    super();
    this.fc1 = new Linear(dim, hidden, { rng: options.rng });
    this.fc2 = new Linear(hidden, dim, { rng: options.rng });
  }

  forward(x: Tensor): Tensor {
    return this.fc2.forward(gelu(this.fc1.forward(x))); // (N, L, E)
  }
}

export interface PreLNTransformerBlockOptions {
  /** Hidden width of the MLP as a multiple of the model width (4 in Vaswani et al. 2017). */
  mlpRatio?: number;
  /** Dropout on each sub-layer's output before it is added (Vaswani et al. §5.4). */
  dropout?: number;
  /** 'identity' (the residual stream) or 'none' (the plain twin: no additions). */
  skip?: 'identity' | 'none';
  rng?: Rng;
}

/**
 * The pre-LN transformer block (Xiong et al. 2020, "On layer normalization in the transformer
 * architecture", Fig. 1b; as in GPT-2 and ViT): x = x + Attn(LN(x)); x = x + MLP(LN(x)). Layer
 * norm sits inside the residual branch, so the identity path from input to output is clean.
 * The plain twin computes x = Attn(LN(x)); x = MLP(LN(x)).
 */
export class PreLNTransformerBlock extends Module implements SkipBlock {
  norm1: LayerNorm;
  attn: MultiHeadAttention;
  norm2: LayerNorm;
  mlp: Mlp;
  readonly skip: 'identity' | 'none';
  readonly dropout: number;
  private readonly dropRng: Rng;

  constructor(readonly dim: number, readonly numHeads: number, options: PreLNTransformerBlockOptions = {}) {
    super();
    this.skip = options.skip ?? 'identity';
    if (this.skip !== 'identity' && this.skip !== 'none') throw new Error(`PreLNTransformerBlock: skip '${String(this.skip)}' is not 'identity' or 'none'`);
    const rng = options.rng ?? globalRng();
    this.norm1 = new LayerNorm(dim);
    this.attn = new MultiHeadAttention(dim, numHeads, { rng });
    this.norm2 = new LayerNorm(dim);
    this.mlp = new Mlp(dim, Math.round(dim * (options.mlpRatio ?? 4)), { rng });
    this.dropout = options.dropout ?? 0;
    this.dropRng = rng;
  }

  get skipKind(): 'identity' | 'none' {
    return this.skip;
  }

  private drop(x: Tensor): Tensor {
    return this.dropout > 0 ? dropout(x, this.dropout, this.training, this.dropRng) : x;
  }

  forward(x: Tensor): Tensor {
    const attended = this.drop(this.attn.forward(this.norm1.forward(x))); // (N, L, E)
    x = this.skip === 'identity' ? add(x, attended) : attended; // x = x + Attn(LN(x))
    const fed = this.drop(this.mlp.forward(this.norm2.forward(x)));
    return this.skip === 'identity' ? add(x, fed) : fed; // x = x + MLP(LN(x))
  }
}
