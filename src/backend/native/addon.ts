/**
 * Finding and loading the compiled addon (`build/Release/skiplab_native.node`, built from
 * `native/` by `scripts/build-native.mjs` during `npm ci`). There is no static Node import here:
 * this file is also bundled for the browser, where `process` is absent and loading returns null.
 */

/** The functions the addon exports (native/src/addon.cc); argument order is documented there. */
export interface NativeAddon {
  info(): { isa: NativeIsa; threads: number; supported: NativeIsa[] };
  setThreads(threads: number): number;
  setIsa(isa: NativeIsa): boolean;
  fmaPeak(iterations: number, threads: number, cpuClock?: boolean, bf16?: boolean): number;
  gemm(batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    strideA: number, strideB: number, strideC: number, accumulate: boolean, a: Float32Array, b: Float32Array, c: Float32Array, bf16?: boolean): void;
  conv2dForward(dims: number[], x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, bf16?: boolean,
    mapMean?: Float32Array, mapScale?: Float32Array, mapShift?: Float32Array, mapRelu?: boolean): void;
  conv2dBackwardInput(dims: number[], dy: Float32Array, w: Float32Array, dx: Float32Array, bf16?: boolean): void;
  conv2dBackwardWeight(dims: number[], x: Float32Array, dy: Float32Array, dw: Float32Array, bf16?: boolean,
    mapMean?: Float32Array, mapScale?: Float32Array, mapShift?: Float32Array, mapRelu?: boolean): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  unaryBackward(op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array, outShape: readonly number[]): void;
  affine(x: Float32Array, alpha: number, beta: number, out: Float32Array): void;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  reduce(op: number, x: Float32Array, shape: readonly number[], axes: readonly number[], out: Float32Array): void;
  reduceMaxBackward(x: Float32Array, shape: readonly number[], axes: readonly number[], dy: Float32Array, dx: Float32Array): void;
  permute(x: Float32Array, shape: readonly number[], perm: readonly number[], out: Float32Array): void;
  copyRegion(src: Float32Array, srcShape: readonly number[], srcStart: readonly number[], dst: Float32Array,
    dstShape: readonly number[], dstStart: readonly number[], region: readonly number[], accumulate: boolean): void;
  gatherRows(table: Float32Array, rowLength: number, indices: Int32Array, out: Float32Array): void;
  scatterAddRows(dy: Float32Array, rowLength: number, indices: Int32Array, table: Float32Array): void;
  maxPool2dForward(dims: number[], x: Float32Array, out: Float32Array, argmax: Int32Array): void;
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, planes: number): void;
  avgPool2d(dims: number[], countIncludePad: boolean, backward: boolean, input: Float32Array, output: Float32Array): void;
  adaptiveAvgPool2d(planes: number, h: number, w: number, oh: number, ow: number, backward: boolean, input: Float32Array, output: Float32Array): void;
  batchNormForward(x: Float32Array, n: number, c: number, s: number, gamma: Float32Array | null, beta: Float32Array | null,
    runningMean: Float32Array | null, runningVar: Float32Array | null, training: boolean, momentum: number, eps: number,
    out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, relu: boolean, residual?: Float32Array | null): void;
  batchNormBackward(x: Float32Array, n: number, c: number, s: number, dy: Float32Array, gamma: Float32Array | null,
    saveMean: Float32Array, saveInvStd: Float32Array, training: boolean, dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null,
    reluOutput: Float32Array | null, mapMean?: Float32Array, mapScale?: Float32Array, mapShift?: Float32Array,
    maskedGradient?: Float32Array | null): void;
  batchNormStatistics(x: Float32Array, n: number, c: number, s: number, gamma: Float32Array | null, beta: Float32Array | null,
    runningMean: Float32Array | null, runningVar: Float32Array | null, training: boolean, momentum: number, eps: number,
    saveMean: Float32Array, saveInvStd: Float32Array, scale: Float32Array, shift: Float32Array): void;
  layerNormForward(x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number,
    out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array): void;
  layerNormBackward(x: Float32Array, rows: number, cols: number, dy: Float32Array, gamma: Float32Array | null,
    saveMean: Float32Array, saveInvStd: Float32Array, dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  softmax(backward: boolean, outer: number, axis: number, inner: number, log: boolean, a: Float32Array, b: Float32Array | null, out: Float32Array): void;
  softmaxCrossEntropy(backward: boolean, rows: number, classes: number, labels: Int32Array, smoothing: number,
    a: Float32Array, b: Float32Array, c: Float32Array): void;
  dropoutForward(x: Float32Array, p: number, seed: number, out: Float32Array, mask: Float32Array): void;
  sgdStep(param: Float32Array, grad: Float32Array, buffer: Float32Array | null, lr: number, momentum: number,
    dampening: number, weightDecay: number, nesterov: boolean, firstStep: boolean): void;
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
}

/** Instruction sets, each including the ones before; 'avx512bf16' adds bf16 dot products for bf16 operands. */
export type NativeIsa = 'portable' | 'avx2' | 'avx512' | 'avx512bf16';

const ADDON_PATH = ['build', 'Release', 'skiplab_native.node'];

interface NodeModules {
  module: { createRequire(path: string): (id: string) => unknown };
  fs: { existsSync(path: string): boolean };
  path: { join(...parts: string[]): string; dirname(path: string): string };
  url: { fileURLToPath(url: string): string };
}

function nodeModules(): NodeModules | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null; // browser, or Node < 20.16
  return {
    module: proc.getBuiltinModule('node:module') as NodeModules['module'],
    fs: proc.getBuiltinModule('node:fs') as NodeModules['fs'],
    path: proc.getBuiltinModule('node:path') as NodeModules['path'],
    url: proc.getBuiltinModule('node:url') as NodeModules['url'],
  };
}

/**
 * The package root is the nearest ancestor of this file holding the built addon: this file sits
 * at src/backend/native/ under tsx and vitest, and at dist/src/backend/native/ once compiled.
 */
function findAddonFile(node: NodeModules): string | null {
  let dir = node.path.dirname(node.url.fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const candidate = node.path.join(dir, ...ADDON_PATH);
    if (node.fs.existsSync(candidate)) return candidate;
    const parent = node.path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** Why the addon could not be loaded, for the one-line notice. */
export type AddonLoad = { addon: NativeAddon; reason: null } | { addon: null; reason: string };

export function loadAddon(): AddonLoad {
  const node = nodeModules();
  if (!node) return { addon: null, reason: 'not running in Node 20.16+' };
  const file = findAddonFile(node);
  if (!file) return { addon: null, reason: `${ADDON_PATH.join('/')} was not built` };
  try {
    const require = node.module.createRequire(import.meta.url);
    return { addon: require(file) as NativeAddon, reason: null };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { addon: null, reason: `loading ${file} failed: ${message}` };
  }
}
