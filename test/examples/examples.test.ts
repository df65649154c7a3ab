import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { saveSafetensorsSync } from '../../src/io/safetensors.js';
import { loadModelFixture, ruleInput, ruleStateDict } from '../helpers/fixture-weights.js';
import { makeImageFolder, picture } from '../helpers/image-folder.js';
import { freePort, haveRedis, RedisServer } from '../helpers/queue.js';
import { encodePng } from '../data/png-writer.js';

/**
 * Every example in examples/ runs here at tiny settings and its printed numbers are checked, and
 * the examples and the README's TypeScript blocks are type-checked against the public API
 * (`skiplab` resolves to src/index.ts, or src/browser.ts for the browser example): removing or
 * renaming an export they use fails this file. Example 5 needs redis-server (skipped without it,
 * except in CI, where `.ci/run` installs it); example 6 runs in Chromium in test/package/.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'skiplab-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runExample(file: string, args: string[]): string {
  return runExampleIn(root, file, args);
}

function runExampleIn(cwd: string, file: string, args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...args], {
    cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, SKIPLAB_BACKEND: process.env.SKIPLAB_BACKEND ?? '' },
  });
  if (result.status !== 0) throw new Error(`${file} exited with ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/** tsc on a generated project; resolves with its output, rejects never (status is checked). */
function typecheck(name: string, files: string[], entry: string): Promise<{ status: number | null; output: string }> {
  const config = join(scratch, `tsconfig.${name}.json`);
  writeFileSync(config, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    // The config lives in a scratch folder: type roots and rootDir must point back at the repository.
    compilerOptions: {
      noEmit: true, lib: ['ES2022', 'DOM', 'DOM.Iterable'], rootDir: '/', typeRoots: [join(root, 'node_modules/@types')],
      paths: { skiplab: [join(root, entry)], 'skiplab/browser': [join(root, 'src/browser.ts')] },
    },
    files, include: [],
  }));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('examples and README code', () => {
  it('compile against the public API (the README blocks, the Node examples, and the browser example against the browser entry)', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    const snippets = blocks.map((code, k) => {
      const path = join(scratch, `readme-${k + 1}.mts`); // .mts: an ES module outside any package.json
      writeFileSync(path, code.includes('import ') || code.includes('export ') ? code : `${code}\nexport {};\n`);
      return path;
    });
    const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'examples', f));
    const browser = readdirSync(join(root, 'examples/browser')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'examples/browser', f));
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const [node, web] = await Promise.all([
      typecheck('node', [...examples, ...snippets], 'src/index.ts'),
      typecheck('browser', browser, 'src/browser.ts'),
    ]);
    expect(node.output).toBe('');
    expect(node.status).toBe(0);
    expect(web.output).toBe('');
    expect(web.status).toBe(0);
  }, 600_000);

  it('1: an MLP trained on MNIST with a hand-written loop beats 80 % on the test set after 2,000 images', () => {
    const out = runExample('01-mnist-mlp.ts', ['--train', '2000', '--epochs', '1']);
    const accuracy = Number(/test accuracy: ([\d.]+) %/.exec(out)![1]);
    expect(accuracy).toBeGreaterThan(80);
  }, 600_000);

  it('2: the gradient reaching the first block vanishes in the plain twin and not in the residual stack', () => {
    const out = runExample('02-custom-residual-block.ts', ['--depth', '30']);
    expect(out).toMatch(/identity skips: 30 in the residual stack, 0 in its plain twin/);
    expect(out).toMatch(/lesions of 30 custom blocks/); // the analysis found them through SkipBlock alone
    const [, residual, plain] = /first block \/ last block: residual ([\d.e+-]+), plain ([\d.e+-]+)/.exec(out)!.map(Number);
    expect(residual).toBeGreaterThan(0.1);
    expect(residual).toBeLessThan(10);
    expect(plain).toBeLessThan(1e-6);
  }, 600_000);

  it("3: a torchvision ResNet-18 state dict gives PyTorch's logits, and its ONNX export the same in ONNX Runtime", async () => {
    const fixture = loadModelFixture('resnet18'); // torchvision's names and PyTorch's float64 logits
    const weights = join(scratch, 'resnet18.safetensors');
    const input = ruleInput(fixture.input.shape); // (2, 3, 64, 64)
    saveSafetensorsSync(weights, ruleStateDict(fixture));
    saveSafetensorsSync(join(scratch, 'batch.safetensors'), { input });
    const onnxPath = join(scratch, 'resnet18.onnx');
    const out = runExample('03-torchvision-resnet18.ts', [weights, '--input', join(scratch, 'batch.safetensors'), '--onnx', onnxPath]);
    const classes = fixture.eval.logits.shape[1]!;
    const lines = out.split('\n').filter((l) => l.startsWith('input '));
    expect(lines).toHaveLength(2);
    lines.forEach((line, n) => {
      const expected = fixture.eval.logits.data.slice(n * classes, (n + 1) * classes);
      const top5 = Array.from(expected.keys()).sort((a, b) => expected[b]! - expected[a]!).slice(0, 5);
      const printed = [...line.matchAll(/class (\d+) \(logit (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
      expect(printed.map(([k]) => k)).toEqual(top5);
      for (const [k, logit] of printed) expect(Math.abs(logit - expected[k]!)).toBeLessThan(1e-3);
    });
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(onnxPath), { executionProviders: ['wasm'] });
    const result = await session.run({ input: new ort.Tensor('float32', input.f32, [2, 3, 64, 64]) });
    const onnxLogits = result.output!.data as Float32Array;
    let worst = 0;
    fixture.eval.logits.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(onnxLogits[i]! - v) / Math.max(1, Math.abs(v)))));
    expect(worst).toBeLessThan(1e-4);
    // Image files go through torchvision's ImageNet preprocessing: one line of top-5 per file.
    const png = join(scratch, 'wide.png');
    writeFileSync(png, encodePng({ width: 90, height: 60, colorType: 2, depth: 8, samples: picture('left', 90, 60, 1) }));
    const images = runExample('03-torchvision-resnet18.ts', [weights, png, '--size', '64']);
    expect(images).toMatch(new RegExp(`${png.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (class \\d+ \\(logit -?[\\d.]+, p [\\d.]+\\)(, )?){5}`));
  }, 600_000);

  it('4: a lesion study on a ResNet trained on an image folder, and again from its saved weights', () => {
    const data = join(scratch, 'photos');
    makeImageFolder(data, 20);
    const weights = join(scratch, 'lesion.safetensors');
    const common = ['--data-dir', data, '--size', '16', '--depth', '8'];
    const trained = runExample('04-lesion-study.ts', [...common, '--epochs', '10', '--save', weights]);
    expect(trained).toMatch(/32 training and 8 test images, classes: left, right/);
    const baseline = Number(/nothing deleted: ([\d.]+) %/.exec(trained)![1]);
    expect(baseline).toBeLessThanOrEqual(25); // chance is 50 %
    const lesions = [...trained.matchAll(/delete (\S+) +test error +([\d.]+) %/g)].map((m) => [m[1], Number(m[2])]);
    // ResNet-8 has one block per stage; the two downsampling ones are left out (Veit et al. 2016 §4).
    expect(lesions.map(([block]) => block)).toEqual(['layer1.0']);
    // The same weights, loaded instead of trained, give the same numbers.
    const reloaded = runExample('04-lesion-study.ts', [...common, '--weights', weights]);
    expect(reloaded).not.toMatch(/trained/);
    expect(reloaded.slice(reloaded.indexOf('test error, nothing deleted'))).toBe(trained.slice(trained.indexOf('test error, nothing deleted')));
    // The command line's lesion experiment on the same weights and folder (the fit check must see the folder).
    const store = join(scratch, 'lesion-runs');
    const cli = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'experiment', 'lesion', '--weights', weights, '--model', 'resnet_cifar',
      '--model-options', '{"depth": 8}', '--dataset', 'folder', '--data-dir', data, '--store', store, '--no-report'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    expect(cli.status, cli.stderr).toBe(0);
    const [experiment] = readdirSync(store).filter((name) => name.startsWith('lesion-quick-weights-'));
    const results = JSON.parse(readFileSync(join(store, experiment!, 'results.json'), 'utf8')) as { dataset: string; seeds: { models: { family: string; single: { block: string }[] }[] }[] };
    expect(results.dataset).toBe('folder');
    expect(results.seeds[0]!.models[0]!.family).toBe('given');
    expect(results.seeds[0]!.models[0]!.single.map((l) => l.block)).toEqual(['layer1.0']);
  }, 600_000);

  it.runIf(haveRedis || process.env.CI)('5: a sweep spec on BullMQ: two workers share the 8 runs, and the report is written from their results', async () => {
    if (!haveRedis) throw new Error("redis-server is not installed: example 5 must run in CI (.ci/run installs Debian's redis-server)");
    const redis = new RedisServer(await freePort(), mkdtempSync(join(scratch, 'redis-')));
    await redis.start();
    try {
      const store = join(scratch, 'queue-runs');
      const out = runExample('05-bullmq-sweep.ts', ['--redis', redis.url, '--store', store]);
      const runs = [...out.matchAll(/^(depth-\d+_skip-\w+_seed-\d) +final training error ([\d.]+) %$/gm)].map((m) => [m[1], Number(m[2])] as const);
      expect(runs.map(([id]) => id).sort()).toEqual(['depth-14_skip-identity_seed-0', 'depth-14_skip-identity_seed-1', 'depth-14_skip-none_seed-0', 'depth-14_skip-none_seed-1',
        'depth-8_skip-identity_seed-0', 'depth-8_skip-identity_seed-1', 'depth-8_skip-none_seed-0', 'depth-8_skip-none_seed-1']);
      for (const [, error] of runs) expect(error).toBeLessThan(80); // every run learned (chance is 90 %)
      const counts = [...out.matchAll(/^worker \d trained (\d+) run\(s\)$/gm)].map((m) => Number(m[1]));
      expect(counts).toHaveLength(2);
      expect(counts[0]! + counts[1]!).toBe(8);
      expect(Math.min(...counts)).toBeGreaterThan(0); // both workers took jobs
      expect(out.trim().split('\n').at(-1)).toBe(join(store, 'example-sweep', 'report.html'));
      expect(readFileSync(join(store, 'example-sweep', 'report.html'), 'utf8')).toMatch(/plain vs residual/);
    } finally {
      await redis.stop();
    }
  }, 600_000);
});
