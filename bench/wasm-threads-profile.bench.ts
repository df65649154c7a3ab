/**
 * Where a browser-lab training step spends its time on the wasm backend in Node, on one thread and
 * on worker threads: the step's wall time, every kernel's share of it, and the thread pool's own
 * counters — time inside parallel kernels, how long the calling thread waited for the other
 * lanes, each lane's busy time and tasks. From these come two load-robust readings beside the
 * wall-clock ratio: the serial fraction f (the step's time outside parallel kernels, on one lane)
 * with Amdahl's bound 1 / (f + (1 − f)/T), and the workers' share of the tasks (½ on 2 threads
 * is an even split).
 *
 *   npx tsx bench/wasm-threads-profile.bench.ts [--models resnet8,resnet20] [--threads 2] [--steps 20] [--rounds 3] [--spin 0.05] [--kernels 8]
 */
import { loadavg } from 'node:os';
import type { Backend } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/select.js';
import { createThreadedWasmBackend, loadWasmBackend } from '../src/backend/wasm/index.js';
import { addStatistics, parallelReading, type PoolStatistics } from '../src/backend/wasm/pool-statistics.js';
import type { ThreadPool } from '../src/backend/wasm/threads.js';
import { Rng } from '../src/tensor/rng.js';
import { decodeLabAsset, encodeLabAsset, type LabDataset } from '../web/src/asset.js';
import { LabRun } from '../web/src/lab-run.js';
import { defaultSettings, type LabSettings } from '../web/src/settings.js';

const option = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const steps = Number(option('--steps', '20'));
const rounds = Number(option('--rounds', '3'));
const threads = Number(option('--threads', '2'));
const spinMs = option('--spin', '') === '' ? undefined : Number(option('--spin', ''));
const kernelsShown = Number(option('--kernels', '8'));

/** The lab's preset ResNets (web/src/presets.ts sizes): MNIST-shaped 1×28×28 inputs, batch 32. */
const MODELS: Record<string, LabSettings> = {
  resnet8: { ...defaultSettings('resnet'), depth: 8, width: 8, batchSize: 32 },
  resnet20: { ...defaultSettings('resnet'), depth: 20, width: 8, batchSize: 32 },
  densenet22: { ...defaultSettings('densenet'), depth: 22, width: 4 },
};

/** Random MNIST-shaped data: step time does not depend on the pixel values. */
function syntheticMnist(): LabDataset {
  const rng = new Rng(3);
  const split = (count: number) => ({
    images: Uint8Array.from({ length: count * 28 * 28 }, () => rng.int(256)), labels: Uint8Array.from({ length: count }, () => rng.int(10)), masks: null, count,
  });
  return decodeLabAsset(encodeLabAsset({
    name: 'synthetic', classNames: Array.from({ length: 10 }, (_, i) => String(i)), task: 'classification',
    channels: 1, height: 28, width: 28, mean: [0.13], std: [0.31], train: split(512), test: split(16),
  }), 'synthetic.bin');
}

type KernelTimes = Map<string, { ms: number; calls: number }>;

/** The backend with every kernel timed (wall ms and calls, per kernel name) into `totals()`. */
function timed(backend: Backend, totals: () => KernelTimes): Backend {
  const out: Record<string, unknown> = { ...backend };
  for (const [name, value] of Object.entries(backend)) {
    if (typeof value !== 'function' || name === 'describe' || name === 'alloc') continue;
    const kernel = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      const began = performance.now();
      try {
        return kernel(...args);
      } finally {
        const into = totals();
        const entry = into.get(name) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - began;
        entry.calls++;
        into.set(name, entry);
      }
    };
  }
  return out as unknown as Backend;
}

interface Side { label: string; backend: Backend; pool: ThreadPool | null; lanes: number; stepMs: number[]; cpuMs: number[]; kernels: KernelTimes; pools: PoolStatistics[] }

/** Where kernel times go: the timed steps' table, or a scratch table during warm-up steps. */
let recording: KernelTimes = new Map();

function side(label: string, backend: Backend, pool: ThreadPool | null, lanes: number): Side {
  return { label, backend: timed(backend, () => recording), pool, lanes, stepMs: [], cpuMs: [], kernels: new Map(), pools: [] };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

function runSide(s: Side, settings: LabSettings, data: LabDataset): void {
  setBackend(s.backend);
  const run = new LabRun(settings, data, 16);
  recording = new Map();
  run.trainStep();
  run.trainStep();
  recording = s.kernels;
  for (let i = 0; i < steps; i++) {
    s.pool?.resetStatistics();
    const cpu = process.cpuUsage();
    const began = performance.now();
    run.trainStep();
    s.stepMs.push(performance.now() - began);
    const used = process.cpuUsage(cpu);
    s.cpuMs.push((used.user + used.system) / 1000);
    if (s.pool) s.pools.push(s.pool.statistics());
  }
}

function report(model: string, sides: Side[]): void {
  const [single, , multi] = sides as [Side, Side, Side];
  console.log(`\n${model}: ${steps} steps × ${rounds} rounds per side, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const s of sides) {
    const stepMs = median(s.stepMs);
    const utilisation = sum(s.cpuMs) / sum(s.stepMs);
    // CPU ms per step (all threads of the process): on a busy host the fairer comparison of the
    // one-thread sides, whose wall time mostly measures how long they waited for a core.
    let line = `  ${s.label.padEnd(24)} step ${stepMs.toFixed(2)} ms (${(1000 / stepMs).toFixed(2)} steps/s), CPU ${median(s.cpuMs).toFixed(2)} ms, CPU/wall ${utilisation.toFixed(2)}`;
    if (s.pools.length) {
      const per = (f: (p: PoolStatistics) => number): number => sum(s.pools.map(f)) / s.pools.length;
      const regionMs = per((p) => p.regionMs);
      const busy = s.pools[0]!.lanes.map((_, lane) => per((p) => p.lanes[lane]!.busyMs));
      const tasks = s.pools[0]!.lanes.map((_, lane) => per((p) => p.lanes[lane]!.tasks));
      const meanStep = sum(s.stepMs) / s.stepMs.length;
      line += `\n    per step: ${per((p) => p.regions).toFixed(0)} parallel kernels (+${per((p) => p.inlineRegions).toFixed(0)} run as one task), ` +
        `${regionMs.toFixed(2)} ms inside them (${((100 * regionMs) / meanStep).toFixed(0)}% of the step; one-task kernels ${per((p) => p.inlineMs).toFixed(2)} ms), ` +
        `caller waited ${per((p) => p.callerWaitMs).toFixed(2)} ms; ` +
        `lane busy ms ${busy.map((b) => b.toFixed(2)).join(' / ')}, tasks ${tasks.map((t) => t.toFixed(1)).join(' / ')} ` +
        `(workers ran ${((100 * sum(tasks.slice(1))) / Math.max(1, sum(tasks))).toFixed(0)}%), sleeps ${s.pools[0]!.lanes.slice(1).map((_, i) => per((p) => p.lanes[i + 1]!.sleeps).toFixed(1)).join(' / ')}`;
    }
    console.log(line);
  }
  // Load-robust readings (threads.ts, parallelReading) over all timed steps of each threaded side:
  // on one lane the serial fraction is measured directly; on T lanes it is recovered from the
  // lanes' busy time, and the workers' task share says how much of the split they really took.
  for (const s of sides.slice(1)) {
    const r = parallelReading(s.pools.reduce(addStatistics), sum(s.stepMs));
    console.log(`  ${s.label}: serial fraction ${r.serialFraction.toFixed(3)} → Amdahl bound on ${threads} threads ×${(1 / (r.serialFraction + (1 - r.serialFraction) / threads)).toFixed(2)}; ` +
      `workers ran ${(100 * r.workerTaskShare).toFixed(0)} % of the tasks`);
  }
  console.log(`  measured ×${(median(single.stepMs) / median(multi.stepMs)).toFixed(2)} over the unthreaded build, ` +
    `×${(median(sides[1]!.stepMs) / median(multi.stepMs)).toFixed(2)} over the threaded build on 1 lane (median steps)`);
  const rows = [...single.kernels.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, kernelsShown);
  console.log(`  kernels, ms per step (${sides.map((s) => s.label).join(' | ')}), calls per step:`);
  const total = (s: Side) => sum(s.stepMs);
  for (const [name] of rows) {
    const cells = sides.map((s) => ((s.kernels.get(name)?.ms ?? 0) / s.stepMs.length).toFixed(2));
    console.log(`    ${name.padEnd(28)} ${cells.join(' | ')}   ${((single.kernels.get(name)?.calls ?? 0) / single.stepMs.length).toFixed(0)}`);
  }
  const kernelShare = (s: Side) => sum([...s.kernels.values()].map((k) => k.ms)) / total(s);
  console.log(`    ${'(all kernels, % of step)'.padEnd(28)} ${sides.map((s) => `${(100 * kernelShare(s)).toFixed(0)}%`).join(' | ')}`);
}

const data = syntheticMnist();
const unthreaded = loadWasmBackend();
if (!unthreaded) throw new Error('wasm backend unavailable: run `npm run build:wasm`');
for (const model of option('--models', 'resnet8,resnet20').split(',')) {
  const settings = MODELS[model];
  if (!settings) throw new Error(`--models: unknown '${model}' (${Object.keys(MODELS).join(', ')})`);
  const one = createThreadedWasmBackend(1, spinMs);
  const many = createThreadedWasmBackend(threads, spinMs);
  if (!('backend' in one) || !('backend' in many)) throw new Error('threaded wasm backend unavailable');
  const sides = [side('wasm', unthreaded, null, 1), side('wasm-threads ×1', one.backend, one.pool, 1), side(`wasm-threads ×${threads}`, many.backend, many.pool, threads)];
  // Rounds alternate the sides, so a slow spell of a shared machine weighs on all of them.
  for (let round = 0; round < rounds; round++) for (const s of sides) runSide(s, settings, data);
  report(model, sides);
}
process.exit(0);
