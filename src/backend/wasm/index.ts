import type { Backend } from '../backend.js';
import { typescriptBackend } from '../ts/index.js';
import { Arena, type WasmContext } from './arena.js';
import { makeBatchNorm } from './batch-norm.js';
import { makeConv2d } from './conv2d.js';
import { makeElementwise } from './elementwise.js';
import { makeGemm } from './gemm.js';
import { makeLayerNorm } from './layer-norm.js';
import { type KernelExports, loadKernelsAsync, loadKernelsSync } from './loader.js';
import { makeOptimizers } from './optimizers.js';
import { makePool } from './pool.js';
import { makeReduce } from './reduce.js';
import { makeSoftmax } from './softmax.js';

/**
 * The WebAssembly SIMD backend (DESIGN.md decision 2): kernels compiled from wasm/assembly/ by
 * AssemblyScript with SIMD128, for the browser lab and for Node machines without the native
 * build. Memory is copy-in/copy-out through one scratch arena (the trade-off is argued in
 * arena.ts). Kernels that only move data (permute, copyRegion, gather/scatter) and the rare
 * reduceMaxBackward use the TypeScript reference, which is already as fast as a
 * copy into WebAssembly memory and back would be.
 */
export function createWasmBackend(kernels: KernelExports): Backend {
  const context: WasmContext = { kernels, arena: new Arena(kernels) };
  return {
    name: 'wasm',
    describe: () => 'wasm (WebAssembly SIMD128 kernels from AssemblyScript, 1 thread)',
    alloc: (length) => new Float32Array(length),
    ...makeElementwise(context),
    ...makeReduce(context),
    permute: typescriptBackend.permute,
    copyRegion: typescriptBackend.copyRegion,
    gatherRows: typescriptBackend.gatherRows,
    scatterAddRows: typescriptBackend.scatterAddRows,
    gemm: makeGemm(context),
    ...makeConv2d(context),
    ...makePool(context),
    ...makeBatchNorm(context),
    ...makeLayerNorm(context),
    ...makeSoftmax(context),
    ...makeOptimizers(context),
  };
}

let loaded: Backend | null = null;
let unavailableReason: string | null = null;

/**
 * The wasm backend, or null when it cannot run here. Synchronous: in Node it compiles
 * kernels.wasm on first use; in the browser it returns what `initWasmBackend` loaded.
 */
export function loadWasmBackend(): Backend | null {
  if (loaded || unavailableReason) return loaded;
  const result = loadKernelsSync();
  if ('kernels' in result) loaded = createWasmBackend(result.kernels);
  else unavailableReason = result.reason;
  return loaded;
}

/** Why `loadWasmBackend()` returned null (for the one-line backend notice), or null. */
export function wasmUnavailableReason(): string | null {
  return loaded ? null : unavailableReason;
}

/**
 * Fetch and compile the kernels asynchronously (the browser's way: call once before training,
 * e.g. `await initWasmBackend(); setBackend('wasm')`). `source` defaults to kernels.wasm next to
 * this module, which bundlers that follow `new URL(..., import.meta.url)` serve as an asset.
 */
export async function initWasmBackend(source?: URL | string | BufferSource): Promise<Backend> {
  if (loaded) return loaded;
  loaded = createWasmBackend(await loadKernelsAsync(source));
  unavailableReason = null;
  return loaded;
}
