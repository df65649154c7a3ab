/**
 * The `wasm` section of `npm run bench`: ResNet-20 training steps (batch 128) on the WebAssembly
 * backend, on one thread and with Node worker threads over a shared memory, beside the native
 * backend's and PyTorch's rows of the model section. The WebAssembly backend serves the browser
 * and machines without a compiler, so its own speed is what those users get.
 */
import type { Backend } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/select.js';
import { createThreadedWasmBackend, loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/index.js';
import { medianSeconds, modelRows, modelRunner, type Clock } from './native-suites.js';

export interface WasmRow {
  label: string;
  threads: number;
  imagesPerSecond: number;
}

export function runWasmSection(threadCounts: number[], quick: boolean, clock: Clock, log: (line: string) => void): WasmRow[] {
  const single = loadWasmBackend();
  if (!single) {
    log(`wasm backend unavailable: ${wasmUnavailableReason()}`);
    return [];
  }
  const row = modelRows().find((r) => r.id === 'train-resnet20')!;
  const rows: WasmRow[] = [];
  for (const threads of threadCounts) {
    let backend: Backend = single;
    if (threads > 1) {
      const threaded = createThreadedWasmBackend(threads);
      if (!('backend' in threaded)) {
        log(`wasm ×${threads}: ${threaded.reason}`);
        continue;
      }
      backend = threaded.backend;
    }
    setBackend(backend);
    const seconds = medianSeconds(modelRunner(row), quick ? 2 : 3, clock, threads);
    rows.push({ label: row.label, threads, imagesPerSecond: row.input[0]! / seconds });
    log(`  ${row.id} wasm ×${threads}: ${(row.input[0]! / seconds).toFixed(1)} images/s`);
  }
  return rows;
}
