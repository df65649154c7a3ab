/**
 * Loads `kernels.wasm` (compiled from wasm/assembly/ by `npm run build:wasm`, never committed).
 * Node reads the file synchronously next to this module, so `getBackend()` can stay synchronous;
 * the browser cannot read files synchronously, so the web lab awaits `loadKernelsAsync` (fetch +
 * instantiateStreaming) once before training. No static Node import: this file is bundled for
 * the browser too, so `node:fs` is reached through `process.getBuiltinModule` only in Node.
 */

/** The exports of kernels.wasm. Pointers are byte offsets into `memory`; bools are 0/1. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  gemmWorkspaceFloats(): number;
  gemm(m: number, n: number, k: number, a: number, aRowStride: number, aColStride: number,
    b: number, bRowStride: number, bColStride: number, c: number, accumulate: number, work: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  unaryBackward(op: number, x: number, y: number, dy: number, dx: number, n: number): void;
  binaryStrided(op: number, a: number, b: number, out: number,
    d0: number, d1: number, d2: number, d3: number, a0: number, a1: number, a2: number, a3: number,
    b0: number, b1: number, b2: number, b3: number): void;
  affine(x: number, alpha: number, beta: number, out: number, n: number): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  fillZeros(out: number, n: number): void;
  im2col(x: number, channels: number, height: number, width: number, kernelHeight: number, kernelWidth: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number,
    outHeight: number, outWidth: number, cols: number): void;
  col2im(cols: number, channels: number, height: number, width: number, kernelHeight: number, kernelWidth: number,
    strideH: number, strideW: number, padH: number, padW: number, dilationH: number, dilationW: number,
    outHeight: number, outWidth: number, dx: number): void;
  addChannelBias(out: number, batch: number, channels: number, spatial: number, bias: number): void;
  /** imageChannels: channels of the whole tensor (x may start at a later channel). */
  batchNormStatistics(x: number, batch: number, channels: number, spatial: number, mean: number, variance: number, imageChannels: number): void;
  /** relu: 1 fuses the following ReLU. */
  channelAffine(x: number, out: number, batch: number, channels: number, spatial: number, center: number, scale: number, shift: number, relu: number): void;
  batchNormBackwardSums(x: number, dy: number, batch: number, channels: number, spatial: number,
    mean: number, sumDy: number, sumDyCentered: number, imageChannels: number): void;
  batchNormBackwardInput(x: number, dy: number, dx: number, batch: number, channels: number, spatial: number, coefficients: number): void;
  maxPool2dForward(x: number, planes: number, height: number, width: number, outHeight: number, outWidth: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padH: number, padW: number,
    dilationH: number, dilationW: number, out: number, argmax: number): void;
  maxPool2dBackward(dy: number, argmax: number, n: number, dx: number, dxLength: number): void;
  avgPool2d(x: number, planes: number, height: number, width: number, outHeight: number, outWidth: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padH: number, padW: number,
    countIncludePad: number, adaptive: number, backward: number, out: number): void;
  reduceContiguous(op: number, x: number, outer: number, reduced: number, inner: number, out: number, scratch: number): void;
  softmaxForward(x: number, outer: number, axisSize: number, inner: number, log: number, out: number): void;
  softmaxBackward(y: number, dy: number, outer: number, axisSize: number, inner: number, log: number, dx: number): void;
  softmaxCrossEntropyForward(logits: number, rows: number, classes: number, labels: number, labelSmoothing: number,
    losses: number, probs: number): void;
  softmaxCrossEntropyBackward(probs: number, rows: number, classes: number, labels: number, labelSmoothing: number,
    dLosses: number, dLogits: number): void;
  layerNormForward(x: number, rows: number, cols: number, gamma: number, beta: number, eps: number,
    out: number, saveMean: number, saveInvStd: number): void;
  layerNormBackward(x: number, rows: number, cols: number, dy: number, gamma: number, saveMean: number, saveInvStd: number,
    dx: number, columnSums: number): void;
  dropoutForward(x: number, n: number, p: number, seed: number, out: number, mask: number): void;
  sgdStep(param: number, grad: number, buffer: number, n: number, lr: number, momentum: number, dampening: number,
    weightDecay: number, nesterov: number, firstStep: number, useMomentum: number): void;
  adamStep(param: number, grad: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, decoupled: number, stepSize: number, invSqrtBias2: number): void;
}

/** Where the compiled module sits: next to this file in src/ (tests, tsx) and in dist/ (build). */
export const defaultKernelsUrl = (): URL => new URL('./kernels.wasm', import.meta.url);

const imports = {
  env: {
    // AssemblyScript's abort hook; --noAssert leaves only unreachable paths that call it.
    abort(_message: number, _file: number, line: number, column: number): never {
      throw new Error(`wasm backend: kernel aborted at kernels.wasm line ${line}:${column}`);
    },
  },
};

function instantiate(module: WebAssembly.Module): KernelExports {
  return new WebAssembly.Instance(module, imports).exports as unknown as KernelExports;
}

type NodeFs = { readFileSync(path: URL): Uint8Array; existsSync(path: URL): boolean };

/** Node's fs without a static import, or null outside Node. */
function nodeFs(): NodeFs | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return null;
  return proc.getBuiltinModule('node:fs') as NodeFs;
}

/**
 * Compile and instantiate synchronously (Node). Returns null with a reason when this runtime
 * cannot (no file system, module not built, or no WebAssembly SIMD).
 */
export function loadKernelsSync(url: URL = defaultKernelsUrl()): { kernels: KernelExports } | { reason: string } {
  if (typeof WebAssembly === 'undefined') return { reason: 'this runtime has no WebAssembly' };
  const fs = nodeFs();
  if (!fs) return { reason: 'synchronous loading needs Node; in the browser await initWasmBackend() first' };
  if (url.protocol === 'file:' && !fs.existsSync(url)) {
    return { reason: `${url.pathname} is missing: run \`npm run build:wasm\`` };
  }
  try {
    return { kernels: instantiate(new WebAssembly.Module(fs.readFileSync(url) as BufferSource)) };
  } catch (error) {
    return { reason: `could not compile ${url.href} (WebAssembly SIMD unsupported?): ${(error as Error).message}` };
  }
}

/** The build whose memory is imported and shared, for worker threads (Node). */
export const threadedKernelsUrl = (): URL => new URL('./kernels-threads.wasm', import.meta.url);

export interface ThreadedKernels {
  kernels: KernelExports;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/** A new shared memory (maximum 4 GiB, so growing it never moves or detaches it) for kernels-threads.wasm. */
function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
}

function threadedKernels(module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory): ThreadedKernels {
  return { kernels: { ...(instance.exports as unknown as KernelExports), memory }, module, memory };
}

/**
 * Compile kernels-threads.wasm and instantiate it over a new shared memory. Node only; the
 * module is returned for the workers.
 */
export function loadThreadedKernelsSync(url: URL = threadedKernelsUrl()): ThreadedKernels | { reason: string } {
  const fs = nodeFs();
  if (!fs) return { reason: 'worker threads need Node' };
  if (!fs.existsSync(url)) return { reason: `${url.pathname} is missing: run \`npm run build:wasm\`` };
  try {
    const module = new WebAssembly.Module(fs.readFileSync(url) as BufferSource);
    const memory = sharedMemory();
    return threadedKernels(module, new WebAssembly.Instance(module, { env: { ...imports.env, memory } }), memory);
  } catch (error) {
    return { reason: `could not instantiate ${url.href} over a shared memory: ${(error as Error).message}` };
  }
}

/**
 * Fetch kernels-threads.wasm and instantiate it over a new shared memory (the browser's way; a
 * shared memory needs a cross-origin isolated page). The module is returned for the workers.
 */
export async function loadThreadedKernelsAsync(source: URL | string): Promise<ThreadedKernels> {
  const url = new URL(String(source), typeof location !== 'undefined' ? location.href : undefined);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`wasm backend: fetching ${url.href} failed with HTTP ${response.status}`);
  const module = await WebAssembly.compile(await response.arrayBuffer());
  const memory = sharedMemory();
  return threadedKernels(module, await WebAssembly.instantiate(module, { env: { ...imports.env, memory } }), memory);
}

/** Fetch, compile and instantiate (browser, or Node given bytes). */
export async function loadKernelsAsync(source: URL | string | BufferSource = defaultKernelsUrl()): Promise<KernelExports> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const { instance } = await WebAssembly.instantiate(source, imports);
    return instance.exports as unknown as KernelExports;
  }
  const fs = nodeFs();
  const url = new URL(String(source), typeof location !== 'undefined' ? location.href : undefined);
  if (fs && url.protocol === 'file:') return instantiate(await WebAssembly.compile(fs.readFileSync(url) as BufferSource));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`wasm backend: fetching ${url.href} failed with HTTP ${response.status}`);
  const { instance } = typeof WebAssembly.instantiateStreaming === 'function' &&
    response.headers.get('content-type')?.startsWith('application/wasm')
    ? await WebAssembly.instantiateStreaming(response, imports)
    : await WebAssembly.instantiate(await response.arrayBuffer(), imports);
  return instance.exports as unknown as KernelExports;
}
