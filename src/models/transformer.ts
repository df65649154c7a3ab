import { add } from '../autograd/functions/binary.js';
import { mean } from '../autograd/functions/reduce.js';
import { permute } from '../autograd/functions/permute.js';
import { reshape } from '../autograd/functions/reshape.js';
import { PreLNTransformerBlock, type TransformerSkip } from '../blocks/pre-ln-transformer.js';
import { checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { normal_ } from '../nn/init.js';
import { LayerNorm } from '../nn/layers/layer-norm.js';
import { Linear } from '../nn/layers/linear.js';
import { Parameter } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { positiveInteger, SkipModel } from './skip-model.js';

/** The values of `skip` the transformer classifier accepts, its default first. */
export const TRANSFORMER_SKIPS: readonly TransformerSkip[] = ['identity', 'none'];

/** A small pre-LN transformer classifier of images (rows as tokens): image size, width, heads, layers, skip, classes. */
export interface TransformerClassifierOptions {
  /** Image height = sequence length (one token per row); 28 for MNIST. */
  imageSize?: number;
  /** Image width (defaults to imageSize). */
  imageWidth?: number;
  inChannels?: number;
  numClasses?: number;
  /** Model width E. */
  dim?: number;
  heads?: number;
  /** Number of transformer blocks. */
  layers?: number;
  mlpRatio?: number;
  dropout?: number;
  skip?: TransformerSkip;
  rng?: Rng;
}

/**
 * A small pre-LN transformer classifier that reads an image as a sequence of its rows: each row
 * (C·W values) is linearly embedded, a learned position embedding is added, `layers` pre-LN
 * blocks follow, then a final LayerNorm, mean pooling over the sequence and a linear head.
 */
export class TransformerClassifier extends SkipModel {
  embed: Linear;
  pos_embedding: Parameter;
  blocks: PreLNTransformerBlock[];
  norm: LayerNorm;
  head: Linear;
  readonly inChannels: number;
  readonly imageHeight: number;
  readonly imageWidth: number;

  constructor(options: TransformerClassifierOptions = {}) {
    super();
    const where = 'transformer_classifier';
    this.imageHeight = positiveInteger(options.imageSize ?? 28, 'imageSize', where);
    this.imageWidth = positiveInteger(options.imageWidth ?? this.imageHeight, 'imageWidth', where);
    this.inChannels = positiveInteger(options.inChannels ?? 1, 'inChannels', where);
    const dim = positiveInteger(options.dim ?? 64, 'dim', where);
    const heads = positiveInteger(options.heads ?? 4, 'heads', where);
    const layers = positiveInteger(options.layers ?? 4, 'layers', where);
    const skip = checkSkipKind(options.skip ?? 'identity', where, TRANSFORMER_SKIPS) as TransformerSkip;
    const rng = options.rng ?? globalRng();
    this.embed = new Linear(this.inChannels * this.imageWidth, dim, { rng });
    this.pos_embedding = new Parameter(new Float32Array(this.imageHeight * dim), [1, this.imageHeight, dim]);
    normal_(this.pos_embedding, 0, 0.02, rng); // as ViT / GPT-2
    this.blocks = Array.from({ length: layers }, () => new PreLNTransformerBlock(dim, heads, { mlpRatio: options.mlpRatio, dropout: options.dropout, skip, rng }));
    this.norm = new LayerNorm(dim);
    this.head = new Linear(dim, positiveInteger(options.numClasses ?? 10, 'numClasses', where), { rng });
  }

  forward(x: Tensor): Tensor {
    const [c, h, w] = [this.inChannels, this.imageHeight, this.imageWidth];
    if (x.ndim !== 4 || x.shape[1] !== c || x.shape[2] !== h || x.shape[3] !== w) {
      throw new ShapeError(`transformer_classifier: expected input (N, ${c}, ${h}, ${w}), got ${formatShape(x.shape)}`);
    }
    const n = x.shape[0]!;
    const rows = reshape(permute(x, [0, 2, 1, 3]), [n, h, c * w]); // (N, L = H, C·W)
    let tokens = add(this.embed.forward(rows), this.pos_embedding); // (N, L, E)
    for (const block of this.blocks) tokens = block.forward(tokens);
    const pooled = mean(this.norm.forward(tokens), 1); // (N, E)
    return this.head.forward(pooled); // (N, classes)
  }

  /** Two residual edges per block: around the attention and around the MLP. */
  skips(): SkipEdge[] {
    const edges: SkipEdge[] = [];
    this.blocks.forEach((block, i) => {
      const path = `blocks.${i}`;
      edges.push({ from: i === 0 ? 'embed' : `blocks.${i - 1}`, to: `${path}.attn`, kind: block.skipKind, block: path });
      edges.push({ from: `${path}.attn`, to: `${path}.mlp`, kind: block.skipKind, block: path });
    });
    return edges;
  }
}
