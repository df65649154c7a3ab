import { add } from '../autograd/functions/binary.js';
import { dropout } from '../autograd/functions/dropout.js';
import { gelu } from '../autograd/functions/unary.js';
import { LayerNorm } from '../nn/layers/layer-norm.js';
import { Linear } from '../nn/layers/linear.js';
import { MultiHeadAttention } from '../nn/layers/multi-head-attention.js';
import { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { evaluateJunction, type JunctionRule, type SkipBlock } from './skip-block.js';

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

/** The skips a transformer block can have: identity, or none (its plain twin). */
export type TransformerSkip = 'identity' | 'none';

/** A pre-LN transformer block: MLP width ratio, dropout, skip kind, init generator. */
export interface PreLNTransformerBlockOptions {
  /** Hidden width of the MLP as a multiple of the model width (4 in Vaswani et al. 2017). */
  mlpRatio?: number;
  /** Dropout on each sub-layer's output before it is added (Vaswani et al. §5.4). */
  dropout?: number;
  /** 'identity' (the residual stream) or 'none' (the plain twin: no additions). */
  skip?: TransformerSkip;
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
  readonly skipKind: TransformerSkip;
  readonly dropout: number;
  private readonly dropRng: Rng;

  constructor(readonly dim: number, readonly numHeads: number, options: PreLNTransformerBlockOptions = {}) {
    super();
    this.skipKind = options.skip ?? 'identity';
    if (this.skipKind !== 'identity' && this.skipKind !== 'none') throw new Error(`PreLNTransformerBlock: skip '${String(this.skipKind)}' is not 'identity' or 'none'`);
    const rng = options.rng ?? globalRng();
    this.norm1 = new LayerNorm(dim);
    this.attn = new MultiHeadAttention(dim, numHeads, { rng });
    this.norm2 = new LayerNorm(dim);
    this.mlp = new Mlp(dim, Math.round(dim * (options.mlpRatio ?? 4)), { rng });
    this.dropout = options.dropout ?? 0;
    this.dropRng = rng;
  }

  private drop(x: Tensor): Tensor {
    return this.dropout > 0 ? dropout(x, this.dropout, this.training, this.dropRng) : x;
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, evaluateJunction);
  }

  /** Two junctions, each x + sub-layer(LN(x)): attention, then the MLP. */
  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    const sublayer = (input: Tensor, branch: () => Tensor): Tensor => rule({
      kind: this.skipKind,
      merge: 'add',
      input,
      branch,
      shortcut: () => (this.skipKind === 'identity' ? input : null),
      join: (f, s) => (s ? add(s, f) : f),
    });
    const attended = sublayer(x, () => this.drop(this.attn.forward(this.norm1.forward(x)))); // x = x + Attn(LN(x)), (N, L, E)
    return sublayer(attended, () => this.drop(this.mlp.forward(this.norm2.forward(attended)))); // x = x + MLP(LN(x))
  }

  /** With the attention's output projection and the MLP's last layer zero, both sub-layers add 0: y = x. */
  makeIdentity(): void {
    if (this.skipKind === 'none') throw new Error('PreLNTransformerBlock: the plain twin normalises its input (LayerNorm), so no weights make it an identity');
    for (const p of [...this.attn.out_proj.parameters(), ...this.mlp.fc2.parameters()]) p.f32.fill(0);
  }
}
