import type { Backend } from '../backend.js';
import { withBf16Operands } from '../bf16.js';
import { typescriptBackend } from '../ts/index.js';
import { Arena, type Parallel, singleLane, type WasmContext } from './arena.js';
import { makeBatchNorm } from './batch-norm.js';
import { makeConv2d } from './conv2d.js';
import { makeElementwise } from './elementwise.js';
import { makeGemm } from './gemm.js';
import { makeLayerNorm } from './layer-norm.js';
import { type KernelExports, loadKernelsAsync, loadKernelsSync, loadThreadedKernelsSync } from './loader.js';
import { makeOptimizers } from './optimizers.js';
import { makePool } from './pool.js';
import { makeReduce } from './reduce.js';
import { makeSoftmax } from './softmax.js';
import { poolReservedBytes } from './lane-loop.js';
import { ThreadPool } from './threads.js';

/**
 * The WebAssembly SIMD backend (DESIGN.md decision 2): kernels compiled from wasm/assembly/ by
 * AssemblyScript with SIMD128, for the browser lab and for Node machines without the native
 * build. Memory is copy-in/copy-out through one scratch arena (the trade-off is argued in
 * arena.ts). One thread by default; SKIPLAB_WASM_THREADS=n splits GEMM, convolution, batch
 * norm, average pooling, elementwise kernels and optimiser steps over n threads in Node
 * (threads.ts, tasks.ts). Kernels that only move data (permute, copyRegion, gather/scatter) and
 * the rare reduceMaxBackward use the TypeScript reference, which is already as fast as a copy
 * into WebAssembly memory and back would be.
 *
 * In the browser: `await initWasmBackend(); setBackend('wasm')` before training.
 */
export function createWasmBackend(kernels: KernelExports, threads?: { arena: Arena; parallel: Parallel }): Backend {
  const context: WasmContext = { kernels, arena: threads?.arena ?? new Arena(kernels), parallel: threads?.parallel ?? singleLane(kernels) };
  const lanes = context.parallel.lanes;
  // bf16 operands: rounded copies into the FP32 kernels (WebAssembly SIMD128 has no bf16 products).
  return withBf16Operands({
    name: 'wasm',
    // Input maps run per image inside the convolution tasks (conv2d.ts), residuals as batch norm writes.
    fusesBatchNorm: true,
    describe: () => `wasm (WebAssembly SIMD128 kernels from AssemblyScript, ${lanes} thread${lanes === 1 ? '' : 's'})`,
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
  });
}

let loaded: Backend | null = null;
let unavailableReason: string | null = null;

/** SKIPLAB_WASM_THREADS=n asks for n threads (Node); the default is 1. */
function requestedThreads(): number {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SKIPLAB_WASM_THREADS;
  if (value === undefined || value === '') return 1;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`SKIPLAB_WASM_THREADS=${value}: expected a whole number of threads ≥ 1`);
  return threads;
}

/**
 * A wasm backend whose kernels run on `threads` threads (the calling one plus worker threads
 * over a shared memory), with its pool (for its counters), or the reason
 * when this runtime cannot.
 */
export function createThreadedWasmBackend(threads: number, spinMs?: number): { backend: Backend; pool: ThreadPool } | { reason: string } {
  const result = loadThreadedKernelsSync();
  if (!('kernels' in result)) return result;
  const arena = new Arena(result.kernels, result.memory, poolReservedBytes(threads));
  const pool = new ThreadPool(result.module, result.kernels, result.memory, threads, arena.reserved, undefined, spinMs);
  return { backend: createWasmBackend(result.kernels, { arena, parallel: pool }), pool };
}

/**
 * The wasm backend, or null when it cannot run here. Synchronous: in Node it compiles
 * kernels.wasm on first use (kernels-threads.wasm with SKIPLAB_WASM_THREADS > 1); in the browser
 * it returns what `initWasmBackend` loaded.
 */
export function loadWasmBackend(): Backend | null {
  if (loaded || unavailableReason) return loaded;
  const threads = requestedThreads();
  if (threads > 1) {
    const threaded = createThreadedWasmBackend(threads);
    if ('backend' in threaded) return (loaded = threaded.backend);
    unavailableReason = `SKIPLAB_WASM_THREADS=${threads}: ${threaded.reason}`;
    return null;
  }
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
