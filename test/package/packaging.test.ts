import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { build, transform } from 'esbuild';
import { chromium as playwright, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveSafetensorsSync } from '../../src/io/safetensors.js';
import { loadModelFixture, ruleStateDict } from '../helpers/fixture-weights.js';
import { makeImageFolder } from '../helpers/image-folder.js';

/**
 * skiplab as a user gets it: `npm pack` (from a scratch copy of the working tree, built there),
 * the tarball installed into empty projects — one where the native addon compiles, one with the
 * compiler made unusable (CXX=/bin/false) — with npm's own registry settings and no
 * devDependencies; examples run there on Node, and the browser example bundled by esbuild from
 * the installed package runs in headless Chromium.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'skiplab-package-'));
const stage = join(scratch, 'stage');
const withCompiler = join(scratch, 'consumer');
const withoutCompiler = join(scratch, 'consumer-no-cxx');
/** Kept out of the scratch copy: build products, installs and history, never part of a package. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'build', '.git', 'runs', '.cache', 'test-artifacts']);

let tarball: { path: string; unpackedSize: number; files: string[] };
const installLog: Record<string, string> = {};
let browser: Browser | undefined;
let server: Server | undefined;

/** The environment of a process started by `npm test`, less npm's own variables (a nested npm would follow them). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  delete env.SKIPLAB_BACKEND;
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => (status === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${status}:\n${output}`))));
  });
}

const npm = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) => run('npm', [...args, '--no-audit', '--no-fund'], cwd, env);

async function installInto(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'skiplab-consumer', version: '1.0.0', private: true, type: 'module' }));
  // --prefer-offline: the registry is asked only for what the npm cache lacks.
  return npm(['install', '--prefer-offline', '--foreground-scripts', tarball.path], dir, env);
}

/** An example, compiled from TypeScript as a user's build would, run with plain node in `dir`. */
async function runExample(dir: string, file: string, args: string[]): Promise<string> {
  const { code } = await transform(readFileSync(join(root, 'examples', file), 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
  const script = join(dir, file.replace(/\.ts$/, '.mjs'));
  writeFileSync(script, code);
  return run(process.execPath, [script, ...args], dir);
}

beforeAll(async () => {
  mkdirSync(stage);
  for (const entry of readdirSync(root)) if (!NOT_COPIED.has(entry)) cpSync(join(root, entry), join(stage, entry), { recursive: true, filter: (src) => !src.includes('/native/build') });
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
  await npm(['run', 'build'], stage);
  const [packed] = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], stage)) as { filename: string; unpackedSize: number; files: { path: string }[] }[];
  tarball = { path: join(scratch, packed!.filename), unpackedSize: packed!.unpackedSize, files: packed!.files.map((f) => f.path) };
  [installLog.withCompiler, installLog.withoutCompiler] = await Promise.all([
    installInto(withCompiler, cleanEnv()),
    installInto(withoutCompiler, cleanEnv({ CXX: '/bin/false', CC: '/bin/false' })),
  ]);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('is lean: built code, types, wasm, the native sources and docs; no tests, benchmarks or web app', () => {
    expect(tarball.unpackedSize).toBeLessThan(4 * 1024 * 1024);
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/browser.js',
      'dist/src/cli/main.js', 'dist/src/backend/wasm/kernels.wasm', 'native/binding.gyp', 'native/src/addon.cc', 'scripts/build-native.mjs']) {
      expect(tarball.files, file).toContain(file);
    }
    expect(tarball.files.filter((f) => /^(test|bench|web|examples|wasm)\//.test(f) || f.startsWith('src/') || f.endsWith('.map'))).toEqual([]);
  }, 600_000);

  it('installs into an empty project without devDependencies, building the native addon, with a working CLI', async () => {
    expect(installLog.withCompiler).toMatch(/skiplab: native backend built in/);
    for (const devOnly of ['typescript', 'vitest', 'esbuild', 'assemblyscript', 'tsx']) expect(existsSync(join(withCompiler, 'node_modules', devOnly)), devOnly).toBe(false);
    expect((await run(join(withCompiler, 'node_modules/.bin/skiplab'), ['--version'], withCompiler)).trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(await run(process.execPath, ['--input-type=module', '-e', "import { getBackend } from 'skiplab'; console.log(getBackend().name)"], withCompiler)).toMatch(/^native$/m);
  }, 600_000);

  it('runs examples 2-4 there on Node (custom block, torchvision weights + ONNX, lesions on an image folder)', async () => {
    const gradients = await runExample(withCompiler, '02-custom-residual-block.ts', ['--depth', '12']);
    expect(gradients).toMatch(/identity skips: 12 in the residual stack, 0 in its plain twin/);
    saveSafetensorsSync(join(withCompiler, 'resnet18.safetensors'), ruleStateDict(loadModelFixture('resnet18')));
    writeFileSync(join(withCompiler, 'tiny.png'), readFileSync(join(root, 'test/data/fixtures/rgb8.png')));
    const classified = await runExample(withCompiler, '03-torchvision-resnet18.ts', ['resnet18.safetensors', 'tiny.png', '--size', '32', '--onnx', 'resnet18.onnx']);
    expect(classified).toMatch(/^tiny\.png: (class \d+ .*){5}/m);
    expect(classified).toMatch(/wrote resnet18\.onnx: \d+ nodes, output \(batch, 1000\)/);
    makeImageFolder(join(withCompiler, 'photos'), 20);
    const lesions = await runExample(withCompiler, '04-lesion-study.ts', ['--data-dir', 'photos', '--size', '16', '--depth', '8', '--epochs', '10']);
    expect(Number(/nothing deleted: ([\d.]+) %/.exec(lesions)![1])).toBeLessThanOrEqual(25);
  }, 600_000);

  it('installs without a usable C++ compiler (CXX=/bin/false), says so in one line, and runs on wasm', async () => {
    expect(installLog.withoutCompiler).toMatch(/skiplab: native backend unavailable \(compile failed.*\) — using the WebAssembly backend/);
    expect(existsSync(join(withoutCompiler, 'node_modules/skiplab/build/Release/skiplab_native.node'))).toBe(false);
    const out = await runExample(withoutCompiler, '02-custom-residual-block.ts', ['--depth', '12']);
    expect(out).toMatch(/identity skips: 12 in the residual stack/);
    expect(await run(process.execPath, ['--input-type=module', '-e', "import { getBackend } from 'skiplab'; console.log(getBackend().name)"], withoutCompiler)).toMatch(/^wasm$/m);
  }, 600_000);

  it('bundles for the browser from the installed package (its browser entry) and trains a ResNet in a Web Worker in Chromium', async () => {
    const web = join(withCompiler, 'web');
    mkdirSync(join(web, 'public'), { recursive: true });
    cpSync(join(root, 'examples/browser'), web, { recursive: true });
    const bundle = await build({
      entryPoints: [join(web, 'main.ts'), join(web, 'worker.ts')], absWorkingDir: withCompiler, bundle: true, platform: 'browser',
      format: 'esm', outdir: join(web, 'public'), metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs).toContain('node_modules/skiplab/dist/src/browser.js');
    expect(inputs).not.toContain('node_modules/skiplab/dist/src/index.js');
    cpSync(join(withCompiler, 'node_modules/skiplab/dist/src/backend/wasm/kernels.wasm'), join(web, 'public/kernels.wasm'));
    cpSync(join(web, 'index.html'), join(web, 'public/index.html'));
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
    server = createServer((request, response) => {
      const path = join(web, 'public', new URL(request.url ?? '/', 'http://x').pathname.replace(/^\/$/, '/index.html'));
      if (!existsSync(path)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/?steps=60`);
    await page.waitForFunction(() => document.body.dataset.result !== undefined, undefined, { timeout: 120_000 });
    const result = JSON.parse(await page.evaluate(() => document.body.dataset.result!)) as { backend: string; losses: number[]; testAccuracy: number; error?: string };
    expect(errors).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.backend).toBe('wasm');
    expect(result.losses).toHaveLength(60);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(result.losses.slice(-10))).toBeLessThan(0.5 * mean(result.losses.slice(0, 10)));
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.9);
  }, 600_000);
});
