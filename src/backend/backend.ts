/**
 * The kernel interface every backend implements. Kernels see typed arrays and shapes, never a
 * `Tensor`: autograd and layers call these and nothing else, so a backend can be swapped
 * (DESIGN.md decision 2). The TypeScript backend in `ts/` is the reference that defines the
 * semantics; native and WebAssembly backends are tested against it.
 *
 * Conventions for every kernel:
 * - Arrays are contiguous, row-major; activations are NCHW, conv weights OIHW (as PyTorch).
 * - `out`/`dx`/`dw` arrays are allocated by the caller with the right length and are
 *   overwritten (never accumulated into) unless the kernel says otherwise.
 * - Shapes are plain `readonly number[]`; a kernel may assume they are valid (the autograd layer
 *   checks shapes and raises errors that name the op).
 */

export type Shape = readonly number[];
export type Pair = readonly [number, number];

/** The registered backends: the TypeScript reference, WebAssembly SIMD, and the native C++ addon. */
export type BackendName = 'ts' | 'wasm' | 'native';

/** Elementwise functions of one argument. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'square'
  | 'reciprocal'
  | 'relu'
  | 'gelu' // exact (erf) GELU, PyTorch's default approximate='none'
  | 'sigmoid'
  | 'tanh';

/** Elementwise functions of two arguments, with NumPy broadcasting. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

export type ReduceOp = 'sum' | 'mean' | 'max';

/**
 * Operand precision of a convolution or matrix product. 'bf16': each operand is rounded to
 * bfloat16 first (`roundToBf16` in bf16.ts defines the rounding), products are summed in FP32 and
 * the result is FP32 — mixed precision with FP32 master weights. Absent means 'fp32'.
 */
export type Precision = 'fp32' | 'bf16';

/** Batched C = op(A) · op(B), each batch entry at `batch index × stride` in its array. */
export interface GemmParams {
  readonly batch: number;
  /** Rows of op(A) and C. */
  readonly m: number;
  /** Columns of op(B) and C. */
  readonly n: number;
  /** Columns of op(A) = rows of op(B). */
  readonly k: number;
  /** A is stored as (k, m) and used transposed. */
  readonly transA: boolean;
  /** B is stored as (n, k) and used transposed. */
  readonly transB: boolean;
  /** Element stride between batch entries; 0 broadcasts one matrix to every batch entry. */
  readonly strideA: number;
  readonly strideB: number;
  readonly strideC: number;
  /** C += op(A)·op(B) instead of C = op(A)·op(B). */
  readonly accumulate: boolean;
  readonly precision?: Precision;
}

export interface Conv2dParams {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly precision?: Precision;
}

export interface MaxPool2dParams {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
}

export interface AvgPool2dParams {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  /** PyTorch's count_include_pad: divide by the full window, padding included. */
  readonly countIncludePad: boolean;
}

export interface BatchNormParams {
  /** Use batch statistics (and update the running ones) rather than the running statistics. */
  readonly training: boolean;
  /** Running-statistics update: running = (1 − momentum)·running + momentum·batch (PyTorch). */
  readonly momentum: number;
  readonly eps: number;
  /**
   * Fuse the ReLU that follows: out = max(bn(x), 0), one pass instead of two. The backward pass
   * then takes this out as `reluOutput`. Absent means false.
   */
  readonly relu?: boolean;
}

/**
 * A per-channel affine map, then a ReLU when `relu`, applied to a kernel's input as it is read:
 * x'[n][c][…] = relu?((x[n][c][…] − mean[c])·scale[c] + shift[c]). A batch norm (and its ReLU)
 * whose output only feeds a convolution runs this way inside the convolution, so that output is
 * never stored; `batchNormStatistics` gives the map.
 */
export interface ChannelAffine {
  readonly mean: Float32Array;
  readonly scale: Float32Array;
  readonly shift: Float32Array;
  readonly relu: boolean;
}

export interface SgdParams {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** True on the first step: the momentum buffer is initialised to the gradient (PyTorch). */
  readonly firstStep: boolean;
}

export interface AdamParams {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW (Loshchilov & Hutter): decay the weights directly instead of adding to the gradient. */
  readonly decoupledWeightDecay: boolean;
  /** 1-based step count, for bias correction. */
  readonly step: number;
}

/**
 * The kernel interface every backend implements: pure functions over float32 arrays with typed parameters (STYLE.md habit 1). Autograd and layers call only this.
 */
export interface Backend {
  readonly name: BackendName;
  /** One line: backend, instruction set, threads. */
  describe(): string;
  /**
   * True when batch norm's fused forms cost no pass of their own: a convolution's `input` map
   * (ChannelAffine) applied as the kernel reads, a `residual` added as batch norm writes. Where
   * they are emulated (a temporary stored first), layers keep the unfused composition, which is
   * then as fast and no larger.
   */
  readonly fusesBatchNorm: boolean;

  /** A zero-filled float32 array of `length` elements that kernels of this backend accept. */
  alloc(length: number): Float32Array;

  // ---- elementwise -------------------------------------------------------------------------
  /** out[i] = f(x[i]). */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;
  /** dx[i] = dy[i] · f'(x[i]); `y` = f(x) from the forward pass (used where cheaper). */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** out = a ∘ b with broadcasting; shapes are right-aligned, `outShape` is the broadcast shape. */
  binary(op: BinaryOp, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): void;
  /** out[i] = alpha · x[i] + beta. */
  affine(x: Float32Array, alpha: number, beta: number, out: Float32Array): void;
  /** y[i] += alpha · x[i] (used to accumulate gradients). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;

  // ---- reductions --------------------------------------------------------------------------
  /** Reduce over `axes`; `out` has the shape of x with those axes set to 1. */
  reduce(op: ReduceOp, x: Float32Array, xShape: Shape, axes: readonly number[], out: Float32Array): void;
  /** Gradient of a max reduction: dy flows to the first maximal element of each reduced group. */
  reduceMaxBackward(x: Float32Array, xShape: Shape, axes: readonly number[], dy: Float32Array, dx: Float32Array): void;

  // ---- layout ------------------------------------------------------------------------------
  /** out = x with axes permuted: out axis i is x axis perm[i]. */
  permute(x: Float32Array, xShape: Shape, perm: readonly number[], out: Float32Array): void;
  /**
   * Copy the box `region` starting at `srcStart` in src into dst starting at `dstStart` (same
   * rank). With `accumulate`, adds instead. Slicing, concatenation and padding are all this.
   */
  copyRegion(
    src: Float32Array, srcShape: Shape, srcStart: readonly number[],
    dst: Float32Array, dstShape: Shape, dstStart: readonly number[],
    region: Shape, accumulate: boolean,
  ): void;
  /** out row r = table row indices[r] (embedding lookup). */
  gatherRows(table: Float32Array, rowLength: number, indices: Int32Array, out: Float32Array): void;
  /** dTable row indices[r] += dy row r. Accumulates. */
  scatterAddRows(dy: Float32Array, rowLength: number, indices: Int32Array, dTable: Float32Array): void;

  // ---- matrix multiply ---------------------------------------------------------------------
  /** C = op(A)·op(B) (+ C when accumulating), batched, with strides in `params`. */
  gemm(params: GemmParams, a: Float32Array, b: Float32Array, c: Float32Array): void;

  // ---- convolution (NCHW activations, OIHW weights as PyTorch) -----------------------------
  /**
   * out (N, O, OH, OW) = conv(x (N, C, H, W), w (O, C/groups, KH, KW)) + bias (O); with `input`,
   * the convolution of x' = input(x) (ChannelAffine) instead, x' never stored.
   */
  conv2dForward(
    x: Float32Array, xShape: Shape, w: Float32Array, wShape: Shape, bias: Float32Array | null,
    params: Conv2dParams, out: Float32Array, outShape: Shape, input?: ChannelAffine | null,
  ): void;
  /** dx (N, C, H, W) from dy (N, O, OH, OW); dxShape is given so transposed convolutions can use it. */
  conv2dBackwardInput(
    dy: Float32Array, dyShape: Shape, w: Float32Array, wShape: Shape,
    params: Conv2dParams, dx: Float32Array, dxShape: Shape,
  ): void;
  /** dw (O, C/groups, KH, KW) from x and dy; with `input`, from x' = input(x) as in conv2dForward. */
  conv2dBackwardWeight(
    x: Float32Array, xShape: Shape, dy: Float32Array, dyShape: Shape,
    params: Conv2dParams, dw: Float32Array, dwShape: Shape, input?: ChannelAffine | null,
  ): void;

  // ---- pooling -----------------------------------------------------------------------------
  /** `argmax` receives, per output element, the flat index into x of the maximum. */
  maxPool2dForward(x: Float32Array, xShape: Shape, params: MaxPool2dParams, out: Float32Array, outShape: Shape, argmax: Int32Array): void;
  /** dx = 0, then dx[argmax[i]] += dy[i]. */
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  /** Average pooling over (N, C, H, W) windows. */
  avgPool2dForward(x: Float32Array, xShape: Shape, params: AvgPool2dParams, out: Float32Array, outShape: Shape): void;
  /** The gradient of average pooling: each output gradient spread evenly over its window. */
  avgPool2dBackward(dy: Float32Array, dyShape: Shape, params: AvgPool2dParams, dx: Float32Array, dxShape: Shape): void;
  /** PyTorch's adaptive windows: rows floor(i·H/OH) to ceil((i+1)·H/OH). */
  adaptiveAvgPool2dForward(x: Float32Array, xShape: Shape, out: Float32Array, outShape: Shape): void;
  /** The gradient of adaptive average pooling. */
  adaptiveAvgPool2dBackward(dy: Float32Array, dyShape: Shape, dx: Float32Array, dxShape: Shape): void;

  // ---- normalisation -----------------------------------------------------------------------
  /**
   * Batch norm over x (N, C, S) where S is the product of the spatial sizes (1 for BatchNorm1d).
   * Training: normalise with the batch mean and biased variance, save mean and 1/sqrt(var+eps),
   * and update the running statistics in place with the unbiased variance (PyTorch).
   * Eval: normalise with the running statistics; saveMean/saveInvStd receive them too.
   * With `residual` (x's shape), out = bn(x) + residual, rounded to float32 after each of the two
   * steps, then the ReLU when `relu`: the end of a residual block, relu(F(x) + x), in one pass.
   */
  batchNormForward(
    x: Float32Array, xShape: Shape, gamma: Float32Array | null, beta: Float32Array | null,
    runningMean: Float32Array | null, runningVar: Float32Array | null, params: BatchNormParams,
    out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, residual?: Float32Array | null,
  ): void;
  /**
   * The statistics half of batchNormForward: the same statistics (saveMean, saveInvStd, running
   * statistics updated in training) and no output, but the map that gives it: bn(x) =
   * (x − saveMean)·scale + shift per channel, a ChannelAffine for a kernel's `input`.
   */
  batchNormStatistics(
    x: Float32Array, xShape: Shape, gamma: Float32Array | null, beta: Float32Array | null,
    runningMean: Float32Array | null, runningVar: Float32Array | null, params: BatchNormParams,
    saveMean: Float32Array, saveInvStd: Float32Array, scale: Float32Array, shift: Float32Array,
  ): void;
  /**
   * dgamma and dbeta are overwritten when given. `training` selects which formula applies. With
   * `reluOutput` (the out of a forward pass with `relu: true`), dy is the gradient of that
   * fused output and is masked by reluOutput > 0 first (ReLU's derivative, 0 at 0): everything
   * is as for batch norm alone given dy·[reluOutput > 0]. `reluOf` does the same for a batch
   * norm that ran as a convolution's `input` map: the mask is input(x) > 0, recomputed from x.
   * `maskedGradient` (with either mask) receives dy·[mask], the gradient of the forward's
   * `residual`; it may be dy itself (masked in place, after dx has been computed from it). dx
   * may be dy itself too (each element written after it is read), when there is no maskedGradient.
   */
  batchNormBackward(
    x: Float32Array, xShape: Shape, dy: Float32Array, gamma: Float32Array | null,
    saveMean: Float32Array, saveInvStd: Float32Array, training: boolean,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null, reluOutput?: Float32Array | null,
    reluOf?: ChannelAffine | null, maskedGradient?: Float32Array | null,
  ): void;
  /** Layer norm of each of `rows` rows of length `cols`. */
  layerNormForward(
    x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null,
    eps: number, out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array,
  ): void;
  /** The gradients of layer normalisation over the last axis: input, and scale and shift when given. */
  layerNormBackward(
    x: Float32Array, rows: number, cols: number, dy: Float32Array, gamma: Float32Array | null,
    saveMean: Float32Array, saveInvStd: Float32Array,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null,
  ): void;

  // ---- softmax and loss --------------------------------------------------------------------
  /** Softmax (or log-softmax) along the middle axis of x viewed as (outer, axisSize, inner). */
  softmaxForward(x: Float32Array, outer: number, axisSize: number, inner: number, log: boolean, out: Float32Array): void;
  /** `y` is the forward output. */
  softmaxBackward(y: Float32Array, dy: Float32Array, outer: number, axisSize: number, inner: number, log: boolean, dx: Float32Array): void;
  /**
   * Per-row cross-entropy of logits (rows, classes) against integer labels, with label smoothing
   * ε: target = (1 − ε)·onehot + ε/classes. Rows whose label is negative are ignored (loss 0).
   * `probs` receives the softmax for the backward pass.
   */
  softmaxCrossEntropyForward(
    logits: Float32Array, rows: number, classes: number, labels: Int32Array, labelSmoothing: number,
    losses: Float32Array, probs: Float32Array,
  ): void;
  /** dLogits row r = dLosses[r] · (probs row r − target row r); ignored rows get 0. */
  softmaxCrossEntropyBackward(
    probs: Float32Array, rows: number, classes: number, labels: Int32Array, labelSmoothing: number,
    dLosses: Float32Array, dLogits: Float32Array,
  ): void;

  // ---- randomness --------------------------------------------------------------------------
  /**
   * Inverted dropout with a counter-based mask so every backend draws the same mask:
   * keep element i iff dropoutUniform(seed, i) ≥ p; mask[i] = kept ? 1/(1−p) : 0; out = x·mask.
   */
  dropoutForward(x: Float32Array, p: number, seed: number, out: Float32Array, mask: Float32Array): void;

  // ---- optimiser updates (in place) --------------------------------------------------------
  /** PyTorch's SGD: g += wd·p; buf = momentum·buf + (1 − dampening)·g; p −= lr·(nesterov ? g + momentum·buf : buf). */
  sgdStep(param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null, params: SgdParams): void;
  /** PyTorch's Adam / AdamW with bias correction. */
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, params: AdamParams): void;
}

/** The names of every kernel: a backend table typed over these cannot miss one. */
export type KernelName = Exclude<keyof Backend, 'name' | 'describe' | 'alloc' | 'fusesBatchNorm'>;
