/**
 * Example 6 — in the browser: train a small ResNet in a Web Worker on the WebAssembly backend.
 *
 *   npx esbuild main.ts worker.ts --bundle --format=esm --outdir=public
 *   cp node_modules/skiplab/dist/src/backend/wasm/kernels.wasm public/
 *   cp index.html public/ && npx serve public      # any static server
 *
 * The page stays responsive: all the numbers are computed in the worker; the page only shows
 * the loss as it arrives. `?steps=N` sets the number of training steps (default 60).
 */
import type { Progress, TrainRequest } from './protocol.js';

const log = document.querySelector<HTMLPreElement>('#log')!;
const steps = Number(new URLSearchParams(location.search).get('steps') ?? 60);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const losses: number[] = [];

worker.onmessage = (event: MessageEvent<Progress>) => {
  const message = event.data;
  if (message.kind === 'step') {
    losses.push(message.loss);
    if (message.step % 10 === 0 || message.step === 1) log.textContent += `step ${message.step}: loss ${message.loss.toFixed(4)}\n`;
  } else {
    log.textContent += `done on the ${message.backend} backend: test accuracy ${(100 * message.testAccuracy).toFixed(1)} %\n`;
    // For whoever drives the page (the package test reads this).
    document.body.dataset.result = JSON.stringify({ backend: message.backend, losses, testAccuracy: message.testAccuracy });
  }
};
worker.onerror = (event) => {
  log.textContent += `worker error: ${event.message}\n`;
  document.body.dataset.result = JSON.stringify({ error: event.message });
};
worker.postMessage({ steps, batchSize: 16 } satisfies TrainRequest);
