import { addRelu } from '../../autograd/functions/add-relu.js';
import { batchNormAddRelu } from '../../autograd/functions/batch-norm-add-relu.js';
import { batchNorm, batchNormRelu } from '../../autograd/functions/batch-norm.js';
import { isTracing } from '../../autograd/trace.js';
import type { BatchNormInput } from '../../autograd/functions/batch-norm-conv2d.js';
import { relu } from '../../autograd/functions/unary.js';
import { formatShape, ShapeError } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Buffer, Module, Parameter } from '../module.js';
import { ReLU } from './activations.js';

/** BatchNorm options with PyTorch's defaults: eps 1e-5, momentum 0.1, affine and running statistics on. */
export interface BatchNormLayerOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) with PyTorch's defaults: eps 1e-5, momentum 0.1,
 * γ = 1, β = 0. The buffers keep torchvision's snake_case names because they are state-dict keys.
 */
abstract class BatchNormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: Buffer | null;
  running_var: Buffer | null;
  num_batches_tracked: Buffer | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.bias = affine ? new Parameter(new Float32Array(numFeatures), [numFeatures]) : null;
    const track = options.trackRunningStats ?? true;
    this.running_mean = track ? new Buffer(new Float32Array(numFeatures), [numFeatures]) : null;
    this.running_var = track ? new Buffer(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.num_batches_tracked = track ? new Buffer(new Int32Array(1), []) : null;
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /**
   * relu(this.forward(x)), or `reluModule.forward(this.forward(x))` when the ReLU is a module;
   * computed as one fused batch-norm + ReLU op (batchNormRelu: one pass instead of two each way,
   * no intermediate tensor) when nothing can observe the difference: neither module is `hooked`
   * (a forward or backward hook must see the batch norm's own output and its gradient; ONNX
   * export and the analysis experiments use them) and the module after it is a ReLU. Otherwise
   * the two modules run one after the other, as written.
   */
  forwardRelu(x: Tensor, reluModule?: Module): Tensor {
    const fusable = !this.hooked && (!reluModule || (reluModule instanceof ReLU && !reluModule.hooked));
    if (!fusable) {
      const y = this.forward(x);
      return reluModule ? reluModule.forward(y) : relu(y);
    }
    return this.normalize(x, true);
  }

  /**
   * relu(this.forward(x) + residual) — the end of a basic residual block — as one op
   * (batchNormAddRelu: bn(x) is never stored) when nothing can observe bn(x): this layer is not
   * `hooked` and no ONNX trace runs. Otherwise as written.
   */
  forwardAddRelu(x: Tensor, residual: Tensor): Tensor {
    if (this.hooked || isTracing()) return addRelu(this.forward(x), residual);
    this.checkInput(x);
    return batchNormAddRelu(x, this.running_mean, this.running_var, this.weight, this.bias, this.statisticsMode(), residual, this.constructor.name);
  }

  /**
   * This layer (then a ReLU when `relu`) as the input map of the convolution that consumes its
   * output (batchNormConv2d), in place of `forward(x)`: it counts the batch as forward does. For
   * fused layers only (nn/layers/conv-batch-norm.ts), which check that no hook observes it.
   */
  asConvInput(x: Tensor, relu: boolean): BatchNormInput {
    this.checkInput(x);
    return { ...this.statisticsMode(), runningMean: this.running_mean, runningVar: this.running_var, weight: this.weight, bias: this.bias, relu };
  }

  /** Which statistics normalise (counting the batch in training, as PyTorch's num_batches_tracked). */
  private statisticsMode(): { training: boolean; momentum: number; eps: number } {
    if (this.training && this.num_batches_tracked) this.num_batches_tracked.data[0]! += 1;
    return { training: this.training || !this.running_mean, momentum: this.momentum, eps: this.eps };
  }

  private normalize(x: Tensor, fuseRelu: boolean): Tensor {
    this.checkInput(x);
    const op = fuseRelu ? batchNormRelu : batchNorm;
    return op(x, this.running_mean, this.running_var, this.weight, this.bias, this.statisticsMode(), this.constructor.name);
  }

  override describe(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

/** BatchNorm over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm1d(${this.numFeatures}): expected input (N, ${this.numFeatures}) or (N, ${this.numFeatures}, L), got ${formatShape(x.shape)}`);
    }
  }
}

/** BatchNorm over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm2d(${this.numFeatures}): expected input (N, ${this.numFeatures}, H, W), got ${formatShape(x.shape)}`);
    }
  }
}
