import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, GemmParams, Shape } from '../../src/backend/backend.js';
import { Arena } from '../../src/backend/wasm/arena.js';
import { UNARY_OPS } from '../../src/backend/wasm/elementwise.js';
import { createThreadedWasmBackend, loadWasmBackend } from '../../src/backend/wasm/index.js';
import { loadThreadedKernelsSync, threadedKernelsUrl } from '../../src/backend/wasm/loader.js';
import { poolReservedBytes } from '../../src/backend/wasm/lane-loop.js';
import { ThreadPool } from '../../src/backend/wasm/threads.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { getBackend, setBackend } from '../../src/backend/select.js';
import { createModel } from '../../src/models/registry.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import type { Module } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../../src/tensor/tensor.js';

/**
 * The wasm thread pool itself (src/backend/wasm/threads.ts): its results must not depend on the
 * number of threads (tasks are cut by the shapes alone, src/backend/wasm/tasks.ts), a failing task must surface with its message and leave the pool usable, and
 * memory grown just before a kernel must be usable by every lane.
 */
let unthreaded: Backend;
const threaded: { lanes: number; backend: Backend; pool: ThreadPool }[] = [];

beforeAll(() => {
  if (!existsSync(threadedKernelsUrl())) {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url))], { stdio: 'pipe' });
  }
  unthreaded = loadWasmBackend()!;
  for (const lanes of [1, 2, 3]) {
    const result = createThreadedWasmBackend(lanes);
    if (!('backend' in result)) throw new Error(`wasm-thread-pool.test.ts: ${result.reason}`);
    threaded.push({ lanes, ...result });
  }
}, 120_000);

const rng = new Rng(7);
const random = (length: number): Float32Array => Float32Array.from({ length }, () => rng.uniform() * 2 - 1);
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** `run` on the unthreaded backend and on 1, 2 and 3 threads: every result identical, bit for bit. */
function expectSameBits(what: string, length: number, run: (backend: Backend, out: Float32Array) => void): void {
  const reference = new Float32Array(length).fill(-3);
  run(unthreaded, reference);
  for (const { lanes, backend } of threaded) {
    const out = new Float32Array(length).fill(-3);
    run(backend, out);
    const differing = out.findIndex((v, i) => !Object.is(v, reference[i]));
    expect(differing, `${what} on ${lanes} thread(s): first differing element`).toBe(-1);
  }
}

describe('wasm thread pool', () => {
  it('gives the same bits on 1, 2 and 3 threads as unthreaded (convolution, GEMM)', () => {
    // Large enough to be cut into several tasks (src/backend/wasm/tasks.ts).
    const xShape: Shape = [16, 8, 12, 12];
    const wShape: Shape = [8, 8, 3, 3];
    const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    const x = random(size(xShape));
    const w = random(size(wShape));
    const dy = random(size(xShape));
    expectSameBits('conv2dForward', size(xShape), (b, out) => b.conv2dForward(x, xShape, w, wShape, null, p, out, xShape));
    expectSameBits('conv2dBackwardInput', size(xShape), (b, dx) => b.conv2dBackwardInput(dy, xShape, w, wShape, p, dx, xShape));
    expectSameBits('conv2dBackwardWeight', size(wShape), (b, dw) => b.conv2dBackwardWeight(x, xShape, dy, xShape, p, dw, wShape));
    const params: GemmParams = { batch: 1, m: 70, n: 64, k: 128, transA: false, transB: true, accumulate: false, strideA: 0, strideB: 0, strideC: 0 };
    const a = random(70 * 128);
    const bt = random(64 * 128);
    expectSameBits('gemm', 70 * 64, (b, c) => b.gemm(params, a, bt, c));
  });

  it('gives the same bits on 1, 2 and 3 threads as unthreaded (batch norm, elementwise, Adam)', () => {
    const shape: Shape = [16, 8, 40, 40];
    const n = size(shape);
    const x = random(n);
    const dy = random(n);
    const gamma = random(8);
    const p = { training: true, momentum: 0.1, eps: 1e-5, relu: true };
    const saved = [new Float32Array(8), new Float32Array(8)];
    const y = new Float32Array(n);
    unthreaded.batchNormForward(x, shape, gamma, null, null, null, p, y, saved[0]!, saved[1]!);
    expectSameBits('batchNormForward', n, (b, out) => b.batchNormForward(x, shape, gamma, null, null, null, p, out, new Float32Array(8), new Float32Array(8)));
    expectSameBits('batchNormBackward', n, (b, dx) => b.batchNormBackward(x, shape, dy, gamma, saved[0]!, saved[1]!, true, dx, null, null, y));
    expectSameBits('unary gelu', n, (b, out) => b.unary('gelu', x, out));
    const adam = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 5 };
    expectSameBits('adamStep', n, (b, param) => {
      param.set(x);
      b.adamStep(param, dy, new Float32Array(n).fill(0.1), new Float32Array(n).fill(0.2), adam);
    });
  });

  // Every parameter after training, not only the losses: a weight gradient summed in another
  // order moves some weight by an ulp long before it shows in a printed loss.
  const resnet8 = (rng: Rng): Module & { forward(x: Tensor): Tensor } => resnetCifar({ depth: 8, baseWidth: 8, inChannels: 1, rng });
  const train = (backend: Backend, build = resnet8): { losses: number[]; parameters: [string, Float32Array][] } => {
    const previous = getBackend();
    setBackend(backend);
    try {
      const rng = new Rng(11);
      const model = build(rng);
      const optimizer = new Adam(model.parameters(), { lr: 0.003 });
      const x = randn([32, 1, 28, 28], { rng });
      const labels = intTensor(Array.from({ length: 32 }, (_, i) => (i * 7) % 10));
      const losses = [0, 1, 2].map(() => {
        optimizer.zeroGrad();
        const loss = crossEntropy(model.forward(x), labels);
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      return { losses, parameters: model.namedParameters().map(([name, p]) => [name, Float32Array.from(p.f32)]) };
    } finally {
      setBackend(previous);
    }
  };
  const expectSameTraining = (trained: ReturnType<typeof train>, reference: ReturnType<typeof train>, label: string): void => {
    expect(reference.parameters.length).toBeGreaterThan(10);
    expect(trained.losses, `${label}: losses`).toEqual(reference.losses);
    expect(trained.parameters.map(([name]) => name)).toEqual(reference.parameters.map(([name]) => name));
    trained.parameters.forEach(([name, values], i) => {
      const expected = reference.parameters[i]![1];
      const differing = values.findIndex((v, j) => !Object.is(v, expected[j]));
      expect(differing, `${label}: first differing element of ${name}`).toBe(-1);
    });
  };

  it('trains ResNet-8 to the same parameters, bit for bit, on 1, 2 and 3 threads as unthreaded (batch 32, 3 Adam steps)', () => {
    const reference = train(unthreaded);
    for (const { lanes, backend } of threaded) expectSameTraining(train(backend), reference, `${lanes} thread(s)`);
  });

  it('trains ResNet-8 to the same bits with each block\'s first batch norm run as its second convolution\'s input map as with the layers unfused', () => {
    expectSameTraining(train(unthreaded), train({ ...unthreaded, fusesBatchNorm: false }), 'fused on 1 thread');
    const [, , three] = threaded;
    expectSameTraining(train(three!.backend), train({ ...three!.backend, fusesBatchNorm: false }), 'fused on 3 threads');
  });

  it('trains DenseNets and a pre-activation ResNet to the same bits with BN-ReLU-Conv run as an input map as with the layers unfused', () => {
    const models: [string, (rng: Rng) => Module & { forward(x: Tensor): Tensor }][] = [
      ['DenseNet', (rng) => createModel('densenet_cifar', { depth: 10, bottleneck: false, growthRate: 4, inChannels: 1, rng })],
      ['DenseNet-BC', (rng) => createModel('densenet_cifar', { depth: 16, growthRate: 4, inChannels: 1, rng })],
      ['pre-activation ResNet-8', (rng) => resnetCifar({ depth: 8, baseWidth: 8, inChannels: 1, block: 'preact', rng })],
    ];
    const [, , three] = threaded;
    for (const [label, build] of models) {
      expectSameTraining(train(unthreaded, build), train({ ...unthreaded, fusesBatchNorm: false }, build), `${label} fused on 1 thread`);
      expectSameTraining(train(three!.backend, build), train({ ...three!.backend, fusesBatchNorm: false }, build), `${label} fused on 3 threads`);
    }
  });

  /** A pool of 3 threads over its own memory, so a test can read what the tasks wrote. */
  const ownPool = (): { memory: WebAssembly.Memory; arena: Arena; own: ThreadPool } => {
    const loaded = loadThreadedKernelsSync();
    if (!('kernels' in loaded)) throw new Error(loaded.reason);
    const { kernels, module, memory } = loaded;
    const arena = new Arena(kernels, memory, poolReservedBytes(3));
    return { memory, arena, own: new ThreadPool(module, kernels, memory, 3, arena.reserved) };
  };

  it('finishes every task once, after the task has written its output', () => {
    const { memory, arena, own } = ownPool();
    const x = arena.input(Float32Array.from({ length: 8 * 4096 }, (_, i) => i - 5000));
    const y = arena.take(8 * 4096);
    const seen: number[] = [];
    const relu = UNARY_OPS.indexOf('relu');
    own.run(8, (lane, task) => lane.call('unary', relu, x + 4 * 4096 * task, y + 4 * 4096 * task, 4096), {
      finish: (task) => {
        const out = new Float32Array(memory.buffer, y + 4 * 4096 * task, 4096);
        expect(out.every((v, i) => v === Math.max(0, task * 4096 + i - 5000))).toBe(true);
        seen.push(task);
      },
    });
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts no task before its inputs are prepared, on any lane', () => {
    const { memory, arena, own } = ownPool();
    const size = 16384;
    const x = arena.take(8 * size);
    const y = arena.take(8 * size);
    // x starts as NaN: a task that ran before its inputs were in would write NaN.
    new Float32Array(memory.buffer, x, 8 * size).fill(Number.NaN);
    const prepared: number[] = [];
    const relu = UNARY_OPS.indexOf('relu');
    for (let round = 0; round < 20; round++) {
      prepared.length = 0;
      own.run(8, (lane, task) => lane.call('unary', relu, x + 4 * size * task, y + 4 * size * task, size), {
        prepare: (task) => {
          // Slow enough that the other lanes are waiting for the later tasks.
          const values = Float32Array.from({ length: size }, (_, i) => Math.sin(round + task * size + i));
          new Float32Array(memory.buffer, x + 4 * size * task, size).set(values);
          prepared.push(task);
        },
      });
      expect(prepared).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const out = new Float32Array(memory.buffer, y, 8 * size);
      expect(out.every((v, i) => v === Math.max(0, Math.fround(Math.sin(round + i))))).toBe(true);
      new Float32Array(memory.buffer, x, 8 * size).fill(Number.NaN);
    }
  });

  it('runs each lane\'s own records of a task when the tasks use lane scratch', () => {
    const { memory, arena, own } = ownPool();
    const size = 4096;
    // Lane l's "scratch" holds l + 1; a task copies (relu) the scratch of the lane that ran it.
    const scratch = [1, 2, 3].map((value) => arena.input(new Float32Array(size).fill(value)));
    const y = arena.take(48 * size);
    const relu = UNARY_OPS.indexOf('relu');
    // The workers start asynchronously: go on until they have run tasks in 10 rounds (at most 60 s).
    const started = Date.now();
    for (let rounds = 0; rounds < 10 && Date.now() - started < 60_000;) {
      own.resetStatistics();
      own.run(48, (lane, task) => lane.call('unary', relu, scratch[lane.index]!, y + 4 * size * task, size), { laneScratch: true });
      const ranBy = Array.from({ length: 48 }, (_, task) => new Float32Array(memory.buffer, y + 4 * size * task, size));
      expect(ranBy.every((out) => out.every((v) => v === out[0]) && [1, 2, 3].includes(out[0]!))).toBe(true);
      const tasksByLane = [1, 2, 3].map((value) => ranBy.filter((out) => out[0] === value).length);
      expect(tasksByLane).toEqual(own.statistics().lanes.map((lane) => lane.tasks));
      if (tasksByLane[0]! < 48) rounds++;
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(() => own.run(4, (lane) => lane.call('fillZeros', y, lane.index))).toThrow(/lane.index read by a kernel not run with laneScratch/);
    // A record's unused slots hold older arguments, so a call must fill every parameter.
    expect(() => own.run(2, (lane) => lane.call('fillZeros', y))).toThrow(/fillZeros with 1 arguments; it takes 2/);
  });

  it('throws the error of a task that failed on any lane, then keeps working', () => {
    const { backend, pool } = threaded[2]!;
    // A GEMM with k = 0 clearing C (memory.fill) at the top of the 4 GiB address space, far
    // beyond the memory: a trap, before the kernel touches anything else.
    const outside = 2 ** 32 - 64;
    expect(() => pool.run(6, (lane) => lane.call('gemm', 4, 4, 0, 0, 0, 1, 0, 4, 1, outside, 0, 0))).toThrow(/out of bounds/);
    const xShape: Shape = [4, 3, 6, 6];
    const wShape: Shape = [5, 3, 3, 3];
    const p: Conv2dParams = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
    const x = random(size(xShape));
    const w = random(size(wShape));
    const expected = new Float32Array(4 * 5 * 16);
    const actual = new Float32Array(4 * 5 * 16);
    unthreaded.conv2dForward(x, xShape, w, wShape, null, p, expected, [4, 5, 4, 4]);
    backend.conv2dForward(x, xShape, w, wShape, null, p, actual, [4, 5, 4, 4]);
    expect(actual).toEqual(expected);
  });

  // A lane that spins long between kernels (createThreadedWasmBackend's spinMs) is mostly awake,
  // not asleep, when the memory grows, and must catch up all the same.
  for (const [threads, spinMs] of [[3, 0.05], [2, 3]] as const) it(`lets every lane use memory grown just before a kernel (${threads} threads, lanes spin ${spinMs} ms)`, () => {
    // The caller grows the shared memory and hands the new pages to the other lanes at once; V8
    // tells other threads of the growth by an interrupt, and a thread that has not handled it
    // yet checks memory.fill and memory.copy against the old size. Each kernel here: task 0 is
    // a longer GEMM, so the other lanes take tasks 1…5, which write into the page just added —
    // the odd ones through im2col of a padded image (memory.fill, memory.copy), the even ones
    // through a GEMM's stores (4·1·2 = 8).
    const loaded = loadThreadedKernelsSync();
    if (!('kernels' in loaded)) throw new Error(loaded.reason);
    const { kernels, module, memory } = loaded;
    const arena = new Arena(kernels, memory, poolReservedBytes(threads));
    const pool = new ThreadPool(module, kernels, memory, threads, arena.reserved, undefined, spinMs);
    const ones = arena.input(new Float32Array(64 * 64).fill(1));
    const twos = arena.input(new Float32Array(64 * 64).fill(2));
    const product = arena.take(64 * 64);
    const work = Array.from({ length: 6 }, () => arena.take(kernels.gemmWorkspaceFloats()));
    const kernel = (top: number) => pool.run(6, (lane, task) => {
      if (task === 0) lane.call('gemm', 64, 64, 64, ones, 64, 1, twos, 64, 1, product, 0, work[0]!);
      else if (task % 2 === 1) lane.call('im2col', ones, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4, top + 1024 * task);
      else lane.call('gemm', 4, 4, 4, ones, 4, 1, twos, 4, 1, top + 1024 * task, 0, work[task]!);
    });
    // The workers start asynchronously: run until one of them has taken a task (at most 60 s).
    const started = Date.now();
    const warmUp = arena.take(6 * 256);
    while (pool.statistics().lanes.slice(1).every((l) => l.tasks === 0) && Date.now() - started < 60_000) kernel(warmUp);
    pool.resetStatistics();
    for (let round = 0; round < 300; round++) {
      const top = memory.buffer.byteLength;
      memory.grow(1);
      kernel(top);
      const page = new Float32Array(memory.buffer, top, 6 * 256);
      for (let task = 1; task < 6; task++) {
        // im2col of a 4×4 image of ones, 3×3 windows, padding 1: per axis the kernel offsets
        // see 3, 4 and 3 of the 4 positions inside, so the 9×16 columns hold (3+4+3)² = 100 ones.
        const written = page.subarray(task * 256, task * 256 + (task % 2 === 1 ? 9 * 16 : 16));
        expect(written.reduce((n, v) => n + v, 0), `round ${round}, task ${task}`).toBe(task % 2 === 1 ? 100 : 16 * 8);
      }
    }
    const workers = pool.statistics().lanes.slice(1);
    expect(workers.reduce((n, l) => n + l.tasks, 0)).toBeGreaterThan(0);
    expect(workers.reduce((n, l) => n + l.catchUps, 0)).toBeGreaterThan(0);
  });
});
