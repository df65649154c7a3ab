/**
 * The browser lab's training speed (issue 10): steps/s of its small ResNet (ResNet-8, width 8,
 * MNIST-sized 1x28x28 inputs, batch 32, Adam) with skiplab's wasm backend against TensorFlow.js's
 * CPU backend, both in the same headless Chromium page, one thread each.
 *
 *   npm run build:wasm && npx tsx bench/web-lab.bench.ts [--batch 32] [--steps 20] [--tfjs-steps 5]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { build } from 'esbuild';
import { chromium as playwright } from 'playwright-core';
import { defaultKernelsUrl } from '../src/backend/wasm/loader.js';
import type { StepTimes } from './web/lab-speed-page.js';

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const batch = option('--batch', 32);
const steps = option('--steps', 20);
const tfjsSteps = option('--tfjs-steps', 5);

const bundle = await build({
  entryPoints: [fileURLToPath(new URL('./web/lab-speed-page.ts', import.meta.url))],
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
const browser = await playwright.launch({
  executablePath: await chromium.executablePath(), headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => typeof (window as unknown as { bench?: unknown }).bench === 'function');
  const result = await page.evaluate(
    ([b, s, t]) => (window as unknown as { bench: (b: number, s: number, t: number) => Promise<{ skiplab: StepTimes; tfjs: StepTimes }> }).bench(b!, s!, t!),
    [batch, steps, tfjsSteps],
  );
  const row = (name: string, r: StepTimes): string =>
    `  ${name.padEnd(22)} ${r.mean.toFixed(2).padStart(7)} steps/s mean ${r.fastest.toFixed(2).padStart(7)} fastest  ${(r.mean * batch).toFixed(0).padStart(5)} images/s`;
  console.log(`Browser lab ResNet-8 (width 8, 1x28x28), batch ${batch}, Adam, Chromium ${browser.version()}, 1 thread`);
  console.log(row('skiplab wasm', result.skiplab));
  console.log(row('TensorFlow.js cpu', result.tfjs));
  console.log(`  skiplab / TF.js: ${(result.skiplab.mean / result.tfjs.mean).toFixed(1)}x (mean), ${(result.skiplab.fastest / result.tfjs.fastest).toFixed(1)}x (fastest)`);
} finally {
  await browser.close();
  server.close();
}
