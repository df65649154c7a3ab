import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { build } from 'esbuild';
import { chromium as playwright, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { defaultKernelsUrl } from '../../src/backend/wasm/loader.js';
import { trainingStepLosses } from '../helpers/wasm-training-steps.js';

/**
 * The wasm backend in real (headless) Chromium: the page loads kernels.wasm the browser's way
 * (fetch + instantiateStreaming through initWasmBackend), runs seeded training steps, and must get
 * the losses Node's wasm backend gets for the same seed — the same kernels on the same inputs.
 */
const PAGE_ENTRY = `
import { initWasmBackend } from ${JSON.stringify(fileURLToPath(new URL('../../src/backend/wasm/index.ts', import.meta.url)))};
import { setBackend } from ${JSON.stringify(fileURLToPath(new URL('../../src/backend/select.ts', import.meta.url)))};
import { trainingStepLosses } from ${JSON.stringify(fileURLToPath(new URL('../helpers/wasm-training-steps.ts', import.meta.url)))};
window.runTraining = async () => {
  setBackend(await initWasmBackend(new URL('/kernels.wasm', location.href)));
  return trainingStepLosses();
};
`;

let server: Server;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  if (!existsSync(defaultKernelsUrl())) {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url))], { stdio: 'pipe' });
  }
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', external: ['*.wasm'],
  });
  const files: Record<string, [string, Uint8Array | string]> = {
    '/': ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', bundle.outputFiles[0]!.contents],
    '/kernels.wasm': ['application/wasm', readFileSync(defaultKernelsUrl())],
  };
  server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    response.writeHead(file ? 200 : 404, file ? { 'content-type': file[0] } : {});
    response.end(file?.[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('wasm backend in Chromium', () => {
  it('trains with the same losses as Node for the same seed', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(baseUrl);
    await page.waitForFunction(() => typeof (window as unknown as { runTraining?: unknown }).runTraining === 'function');
    const inBrowser = await page.evaluate(() => (window as unknown as { runTraining: () => Promise<{ backend: string; losses: number[] }> }).runTraining());
    expect(pageErrors).toEqual([]);

    const wasm = loadWasmBackend();
    if (!wasm) throw new Error('wasm-browser.test.ts: the wasm backend did not load in Node');
    setBackend(wasm);
    let inNode: { backend: string; losses: number[] };
    try {
      inNode = trainingStepLosses();
    } finally {
      setBackend(typescriptBackend);
    }
    expect(inBrowser.backend).toBe('wasm');
    expect(inNode.backend).toBe('wasm');
    expect(inBrowser.losses).toHaveLength(3);
    // Training moved the loss, so equality below compares three different, non-trivial numbers.
    expect(inBrowser.losses[2]).not.toBe(inBrowser.losses[0]);
    for (let i = 0; i < 3; i++) expect(Math.abs(inBrowser.losses[i]! - inNode.losses[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(inNode.losses[i]!));
  }, 180_000);
});
