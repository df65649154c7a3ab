/**
 * ResNet-20 training throughput of the wasm backend in headless Chromium against Node, one thread
 * each (issue 12: the browser within 20 % of Node). The page loads kernels.wasm the browser's way
 * (initWasmBackend: fetch + instantiateStreaming) and runs the same steps as Node:
 * forward, cross-entropy, backward and SGD on a 3x32x32 batch.
 *
 *   npm run build:wasm && npx tsx bench/wasm-browser.bench.ts [--batch 64] [--steps 3]
 *
 * Images/s is from the fastest step after one warm-up step.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { build } from 'esbuild';
import { chromium as playwright } from 'playwright-core';
import { setBackend } from '../src/backend/select.js';
import { loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/index.js';
import { defaultKernelsUrl } from '../src/backend/wasm/loader.js';
import { resnet20ImagesPerSecond } from './wasm-browser-steps.js';

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const batch = option('--batch', 64);
const steps = option('--steps', 3);

const here = (path: string): string => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
const bundle = await build({
  stdin: {
    contents: `
      import { initWasmBackend } from ${here('../src/backend/wasm/index.ts')};
      import { setBackend } from ${here('../src/backend/select.ts')};
      import { resnet20ImagesPerSecond } from ${here('./wasm-browser-steps.ts')};
      window.bench = async (batch, steps) => {
        setBackend(await initWasmBackend(new URL('/kernels.wasm', location.href)));
        return resnet20ImagesPerSecond(batch, steps);
      };`,
    resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    loader: 'ts',
  },
  bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', external: ['*.wasm'],
});
const files: Record<string, [string, Uint8Array | string]> = {
  '/': ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'],
  '/page.js': ['text/javascript', bundle.outputFiles[0]!.contents],
  '/kernels.wasm': ['application/wasm', readFileSync(defaultKernelsUrl())],
};
const server = createServer((request, response) => {
  const file = files[request.url ?? ''];
  response.writeHead(file ? 200 : 404, file ? { 'content-type': file[0] } : {});
  response.end(file?.[1]);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => typeof (window as unknown as { bench?: unknown }).bench === 'function');
  const inBrowser = await page.evaluate(
    ([b, s]) => (window as unknown as { bench: (batch: number, steps: number) => Promise<number> }).bench(b!, s!), [batch, steps],
  );
  const wasm = loadWasmBackend();
  if (!wasm) throw new Error(`bench/wasm-browser.bench.ts: ${wasmUnavailableReason()}`);
  setBackend(wasm);
  const inNode = resnet20ImagesPerSecond(batch, steps);
  const version = browser.version();
  console.log(`ResNet-20 training, batch ${batch}, wasm backend, 1 thread`);
  console.log(`  Node ${process.version.padEnd(12)} ${inNode.toFixed(1).padStart(7)} images/s`);
  console.log(`  Chromium ${version.padEnd(8)} ${inBrowser.toFixed(1).padStart(7)} images/s  (${((inBrowser / inNode) * 100).toFixed(0)} % of Node)`);
} finally {
  await browser.close();
  server.close();
}
