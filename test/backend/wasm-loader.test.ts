import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GemmParams } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import { defaultKernelsUrl, loadKernelsAsync, loadKernelsSync } from '../../src/backend/wasm/loader.js';

/**
 * The two ways the wasm kernels load: synchronously from the file next to the loader (Node),
 * and asynchronously from bytes or over HTTP with instantiateStreaming (the browser's way, here
 * against a local server that serves application/wasm as a static host would).
 */
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  if (!existsSync(defaultKernelsUrl())) {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url))], { stdio: 'pipe' });
  }
  const bytes = readFileSync(defaultKernelsUrl());
  server = createServer((request, response) => {
    if (request.url === '/kernels.wasm') {
      response.writeHead(200, { 'content-type': 'application/wasm' });
      response.end(bytes);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A 3x2 · 2x2 product whose answer is worked out by hand. */
function checkGemm(backend: ReturnType<typeof createWasmBackend>): void {
  const params: GemmParams = { batch: 1, m: 3, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
  const c = new Float32Array(6);
  backend.gemm(params, Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, 0, 1, -1), c);
  expect([...c]).toEqual([3, -2, 7, -4, 11, -6]);
}

describe('wasm kernel loading', () => {
  it('is registered with select.ts once built', () => {
    expect(availableBackends()).toContain('wasm');
  });

  it('loads synchronously from the file next to the loader', () => {
    const result = loadKernelsSync();
    if (!('kernels' in result)) throw new Error(result.reason);
    checkGemm(createWasmBackend(result.kernels));
  });

  it('says how to build the module when the file is missing', () => {
    const result = loadKernelsSync(new URL('./no-such-kernels.wasm', defaultKernelsUrl()));
    expect('reason' in result && result.reason).toMatch(/no-such-kernels\.wasm is missing: run `npm run build:wasm`/);
  });

  it('instantiates from bytes', async () => {
    checkGemm(createWasmBackend(await loadKernelsAsync(readFileSync(defaultKernelsUrl()))));
  });

  it('fetches and instantiates over HTTP, as in the browser', async () => {
    checkGemm(createWasmBackend(await loadKernelsAsync(`${baseUrl}/kernels.wasm`)));
  });

  it('names the URL and status when the fetch fails', async () => {
    await expect(loadKernelsAsync(`${baseUrl}/missing.wasm`)).rejects.toThrow(/missing\.wasm failed with HTTP 404/);
  });

  it('keeps every instance in its own memory', async () => {
    const first = createWasmBackend(await loadKernelsAsync(readFileSync(defaultKernelsUrl())));
    const second = createWasmBackend(await loadKernelsAsync(readFileSync(defaultKernelsUrl())));
    const x = Float32Array.of(-1, 2, -3);
    const a = new Float32Array(3);
    const b = new Float32Array(3);
    first.unary('relu', x, a);
    second.unary('neg', x, b);
    expect([...a]).toEqual([0, 2, 0]);
    expect([...b]).toEqual([1, -2, 3]);
  });
});
