/**
 * The wasm backend on several threads in the browser: kernels-threads.wasm over one shared
 * memory, its lanes Web Workers running the same loop as Node's worker threads
 * (src/backend/wasm/threads.ts). Needs a cross-origin isolated page (SharedArrayBuffer) and must
 * run in a worker, which may block in Atomics.wait while its lanes work.
 */
import type { Backend } from '../../src/backend/backend.js';
import { Arena } from '../../src/backend/wasm/arena.js';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import { loadThreadedKernelsAsync } from '../../src/backend/wasm/loader.js';
import { LANE_LOOP_SOURCE, poolReservedBytes } from '../../src/backend/wasm/lane-loop.js';
import { ThreadPool } from '../../src/backend/wasm/threads.js';

// A lane worker receives its LaneWorkerData in its first message, then never returns to its
// event loop: it waits on the shared control block for work.
const LANE_WORKER_SOURCE = `self.onmessage = (event) => {
  self.onmessage = null;
  const workerData = event.data;
  const ready = () => self.postMessage('ready');
  ${LANE_LOOP_SOURCE}
};`;

/** Whether this context can share WebAssembly memory between workers. */
export function canUseThreads(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * A wasm backend splitting its kernels over `threads` threads: this worker plus threads − 1 lane
 * workers, started and instantiated before it returns (so the first kernels do not wait for a
 * lane's start-up), with its pool (for its counters).
 */
export async function createBrowserThreadedBackend(kernelsUrl: URL, threads: number): Promise<{ backend: Backend; pool: ThreadPool }> {
  if (!canUseThreads()) throw new Error('wasm threads need a cross-origin isolated page (SharedArrayBuffer)');
  const { kernels, module, memory } = await loadThreadedKernelsAsync(kernelsUrl);
  const arena = new Arena(kernels, memory, poolReservedBytes(threads));
  const script = URL.createObjectURL(new Blob([LANE_WORKER_SOURCE], { type: 'text/javascript' }));
  const started: Promise<void>[] = [];
  const pool = new ThreadPool(module, kernels, memory, threads, arena.reserved, (data) => {
    const worker = new Worker(script);
    started.push(new Promise((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new Error(`wasm lane worker: ${event.message}`));
    }));
    worker.postMessage(data);
  });
  try {
    await Promise.all(started);
  } finally {
    URL.revokeObjectURL(script);
  }
  return { backend: createWasmBackend(kernels, { arena, parallel: pool }), pool };
}
