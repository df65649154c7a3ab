/**
 * `npm run bench`: the native backend's benchmark table (issue 5). Measures the machine's FP32
 * FMA peak with the addon's register-only FMA loop, then SGEMM (GFLOP/s, % of peak), the
 * convolution layers of ResNet-20's stages, and whole training steps, for the native backend at
 * 1 and 2 threads and the TypeScript reference (single-threaded by design). When PyTorch imports
 * (Debian's python3-torch, under /usr/bin/python3) bench/torch_suite.py runs the same rows at the
 * same thread counts and the table adds ours / PyTorch. Two more sections: `tfjs` times ResNet-20
 * and MLP training steps on our TypeScript backend against TensorFlow.js's pure-JS cpu backend
 * (bench/tfjs-suite.ts), and `memory` measures the peak resident memory of a ResNet-56 batch-128
 * training run in fresh processes, ours against PyTorch (bench/memory-suite.ts).
 *
 * The `web` section times browser-lab models in headless Chromium on 1 thread and on every core
 * (bench/web-threads-suite.ts).
 *
 *   npm run bench [-- --quick] [-- --json [file]] [-- --only gemm,conv,models,wasm,tfjs,memory,tta,web] [-- --rows id,id] [-- --clock wall|cpu] [-- --rounds n]
 *
 * Every time is the median of several runs after a warm-up run, wall clock by default. On a
 * shared machine (the load average is printed with the table) `--clock cpu` measures process
 * CPU time ÷ threads on both sides instead, which other work disturbs far less. `--rounds n`
 * alternates ours and PyTorch n times per row and reports the median of each side's medians, so a
 * slow spell of the machine (they last minutes here) weighs on both sides alike.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/backend/backend.js';
import { configureNative, loadNativeBackend, measureFmaPeak, nativeInfo } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/select.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { median, runMemorySection, type MemoryComparison } from './memory-suite.js';
import { rowFlopsPerImage } from './model-flops.js';
import { convRows, gemmRows, kernelRunner, medianSeconds, modelRows, modelRunner, rowFlops, type BenchRow, type Clock } from './native-suites.js';
import { runTfjsSection, type TfjsComparison } from './tfjs-suite.js';
import { printColumns } from './table.js';
import { printTimeToAccuracyTable, runTimeToAccuracySection, type TimeToAccuracySection } from './time-to-accuracy.js';
import { runWasmSection, type WasmRow } from './wasm-suite.js';
import { printWebThreadsTable, runWebThreadsSection, type WebThreadsRow } from './web-threads-suite.js';
import { torchThreadsEnv } from './torch-env.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonIndex = args.indexOf('--json');
const jsonPath = jsonIndex >= 0 ? (args[jsonIndex + 1] && !args[jsonIndex + 1]!.startsWith('--') ? args[jsonIndex + 1]! : 'bench-results.json') : null;
const onlyIndex = args.indexOf('--only');
const only = new Set(onlyIndex >= 0 ? args[onlyIndex + 1]!.split(',') : ['gemm', 'conv', 'models', 'wasm', 'tfjs', 'memory', 'web']);
const threadCounts = [1, 2];
const clockIndex = args.indexOf('--clock');
const clock: Clock = clockIndex >= 0 && args[clockIndex + 1] === 'cpu' ? 'cpu' : 'wall';
const rowsIndex = args.indexOf('--rows');
const onlyRows = rowsIndex >= 0 ? new Set(args[rowsIndex + 1]!.split(',')) : null;
const roundsIndex = args.indexOf('--rounds');
const rounds = roundsIndex >= 0 ? Math.max(1, Number(args[roundsIndex + 1]) || 1) : 1;

interface Result {
  group: string;
  row: string;
  id: string;
  backend: 'native' | 'ts' | 'torch';
  threads: number;
  unit: 'GFLOP/s' | 'images/s';
  value: number;
  percentOfPeak?: number;
  torch?: number;
  oursOverTorch?: number;
}

const results: Result[] = [];
const native = loadNativeBackend();
const peaks = new Map<number, number>();

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---- PyTorch ----------------------------------------------------------------------------------
function torchPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

/** Timed runs per row: models run long enough as they are; kernel rows (a few ms each) also
 * repeat until `minSeconds` have been timed, so a row is not decided by a 50 ms window. */
function timing(row: BenchRow): { repeats: number; minSeconds: number } {
  if (row.kind === 'model') return { repeats: row.repeats ?? (quick ? 3 : 5), minSeconds: 0 };
  return { repeats: quick ? 3 : 7, minSeconds: quick ? 0.1 : 0.3 };
}

function runTorch(python: string, rows: BenchRow[], threads: number): Map<string, number> {
  const config = { threads, clock, rows: rows.map((r) => ({ ...r, ...timing(r) })) };
  const script = fileURLToPath(new URL('./torch_suite.py', import.meta.url));
  const output = execFileSync(python, [script, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 24, env: torchThreadsEnv(threads) });
  const parsed = JSON.parse(output.trim().split('\n').pop()!) as { results: Record<string, number> };
  return new Map(Object.entries(parsed.results));
}

// ---- our side -----------------------------------------------------------------------------------
function measure(row: BenchRow, backend: Backend, threads: number): number {
  const { repeats, minSeconds } = timing(row);
  if (row.kind === 'model') {
    setBackend(backend);
    return medianSeconds(modelRunner(row), backend.name === 'ts' ? 1 : repeats, clock, threads);
  }
  if (backend.name === 'ts') return medianSeconds(kernelRunner(row, backend), 2, clock, threads);
  return medianSeconds(kernelRunner(row, backend), repeats, clock, threads, minSeconds);
}

/** Model rows' FLOPs per image, counted once per row from its kernel calls (bench/model-flops.ts). */
const modelFlops = new Map<string, number>();

/**
 * The FMA peak right now: the best of a few short runs of the addon's register-only FMA loop.
 * Taken beside every row, because this VM's speed drifts over minutes and a peak measured at the
 * start would make "% of peak" a measure of the drift.
 */
function peakNow(threads: number, runs = 3, bf16 = false): number {
  const measure = () => (bf16 ? measureFmaPeak(threads, 10_000_000, clock === 'cpu', true) : null) ?? measureFmaPeak(threads, 10_000_000, clock === 'cpu')!;
  return Math.max(...Array.from({ length: runs }, measure));
}

function record(row: BenchRow, group: string, backend: 'native' | 'ts', threads: number, seconds: number, rowPeak?: number): void {
  const label = row.kind === 'gemm' ? `SGEMM ${row.size}³` : row.label;
  const peak = backend === 'native' ? rowPeak ?? peaks.get(threads) : undefined;
  const ofPeak = (flopsPerSecond: number) => (peak ? { percentOfPeak: (100 * flopsPerSecond) / peak } : {});
  if (row.kind === 'model') {
    if (!modelFlops.has(row.id)) modelFlops.set(row.id, rowFlopsPerImage(row));
    const imagesPerSecond = row.input[0]! / seconds;
    results.push({ group, row: label, id: row.id, backend, threads, unit: 'images/s', value: imagesPerSecond, ...ofPeak(imagesPerSecond * modelFlops.get(row.id)!) });
  } else {
    const gflops = rowFlops(row) / seconds / 1e9;
    results.push({ group, row: label, id: row.id, backend, threads, unit: 'GFLOP/s', value: gflops, ...ofPeak(gflops * 1e9) });
  }
}

/** The TypeScript reference is slow: it runs only the rows that finish in seconds. */
function tsRuns(row: BenchRow): boolean {
  if (row.kind === 'gemm') return row.size <= (quick ? 512 : 1024);
  if (row.kind === 'conv') return !quick;
  return row.id === 'train-mlp' || (!quick && row.id === 'train-resnet20');
}

async function main(): Promise<void> {
  const info = nativeInfo();
  log(`skiplab bench — Node ${process.version}, native ${info ? `${info.isa}, pool of ${info.threads}` : 'unavailable'}, ${clock} clock, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rows: [string, BenchRow[]][] = [];
  if (only.has('gemm')) rows.push(['SGEMM', gemmRows(quick ? [256, 512, 1024] : [256, 512, 1024, 2048])]);
  if (only.has('conv')) rows.push(['ResNet-20 conv', convRows(128)]);
  if (only.has('models')) rows.push(['model', quick ? modelRows().filter((r) => ['train-resnet20', 'train-mlp'].includes(r.id)) : modelRows()]);
  if (native && rows.length > 0) {
    for (const threads of threadCounts) {
      configureNative({ threads });
      // The peak is a capability: the best of several short runs.
      peaks.set(threads, peakNow(threads, 5));
      log(`FP32 FMA peak, ${threads} thread(s): ${(peaks.get(threads)! / 1e9).toFixed(1)} GFLOP/s`);
    }
  }
  const python = torchPython();
  for (const [group, list] of rows) {
    for (const row of list) {
      if (onlyRows && !onlyRows.has(row.id)) continue;
      if (native) {
        for (const threads of threadCounts) {
          // PyTorch right after, row by row: this machine's throughput drifts by up to ±30 % over
          // minutes, and timing all our rows before all of PyTorch's put a drift on one side only.
          const oursSeconds: number[] = [];
          const torchSeconds: number[] = [];
          const rowPeaks: number[] = [];
          for (let round = 0; round < rounds; round++) {
            configureNative({ threads });
            // bf16 rows: the peak of the bf16 dot products they run on, where the CPU has them.
            rowPeaks.push(peakNow(threads, 3, row.kind === 'model' && row.precision === 'bf16'));
            oursSeconds.push(measure(row, native, threads));
            const seconds = python ? runTorch(python, [row], threads).get(row.id) : undefined;
            if (seconds !== undefined) torchSeconds.push(seconds);
          }
          record(row, group, 'native', threads, median(oursSeconds), median(rowPeaks));
          const ours = results[results.length - 1]!;
          if (torchSeconds.length > 0) {
            const seconds = median(torchSeconds);
            ours.torch = row.kind === 'model' ? row.input[0]! / seconds : rowFlops(row) / seconds / 1e9;
            ours.oursOverTorch = ours.value / ours.torch;
          }
          const against = ours.torch === undefined ? '' : `, PyTorch ${ours.torch.toFixed(1)} (×${ours.oursOverTorch!.toFixed(2)})`;
          const ofPeak = ours.percentOfPeak === undefined ? '' : ` (${ours.percentOfPeak.toFixed(0)} % of peak)`;
          log(`  ${row.id} native ×${threads}: ${ours.value.toFixed(1)} ${ours.unit}${ofPeak}${against}`);
        }
      }
      if (tsRuns(row)) {
        record(row, group, 'ts', 1, measure(row, typescriptBackend, 1));
        log(`  ${row.id} ts: ${results[results.length - 1]!.value.toFixed(2)} ${results[results.length - 1]!.unit}`);
      }
    }
  }
  let wasm: WasmRow[] | null = null;
  if (only.has('wasm')) {
    log('WebAssembly backend, ResNet-20 training, 1 thread and Node worker threads…');
    wasm = runWasmSection(threadCounts, quick, clock, log);
  }
  setBackend(typescriptBackend);
  let tfjs: TfjsComparison[] | null = null;
  if (only.has('tfjs')) {
    log('TensorFlow.js cpu backend against our TypeScript backend, 1 thread…');
    tfjs = await runTfjsSection(quick, clock, log);
  }
  let memory: MemoryComparison[] | null = null;
  if (only.has('memory')) {
    log('peak resident memory, ResNet-56 batch 128, fresh processes…');
    memory = runMemorySection({ model: 'resnet56', batch: 128, steps: 3, threads: 2, runs: quick ? 1 : 3, withTs: !quick, python }, log);
  }
  let tta: TimeToAccuracySection | null = null;
  if (only.has('tta') && native) {
    const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
    tta = runTimeToAccuracySection({
      threads: Number(value('--tta-threads') ?? 2), epochs: Number(value('--tta-epochs') ?? 6), target: Number(value('--tta-target') ?? 0.92),
      precision: value('--precision') === 'bf16' ? 'bf16' : 'fp32',
    }, native, python, log);
  }
  let web: WebThreadsRow[] | null = null;
  if (only.has('web')) {
    log('browser lab in headless Chromium, wasm backend on 1 thread and on every core…');
    web = await runWebThreadsSection({ rounds: quick ? 3 : 5, seconds: quick ? 2 : 3 }, log);
  }
  let torchNote = 'PyTorch ratios: apt-get install -y python3-torch (Debian), then /usr/bin/python3 -c "import torch" must work';
  if (python && native && rows.length > 0) {
    torchNote = `PyTorch from ${python}, same thread counts, timed right after each of our rows; ours/PyTorch > 1 means we are faster`;
  }
  if (results.length > 0) printTable(torchNote);
  if (wasm && wasm.length > 0) printWasmTable(wasm);
  if (tfjs) printTfjsTable(tfjs);
  if (memory) printMemoryTable(memory, python);
  if (web) printWebThreadsTable(web, printColumns, quick ? 3 : 5);
  if (tta) printTimeToAccuracyTable(tta);
  if (jsonPath) {
    writeFileSync(jsonPath, JSON.stringify({ node: process.version, clock, native: info, peaks: Object.fromEntries(peaks), loadAverage: loadavg(), results, wasm, tfjs, memory, tta, web }, null, 2));
    log(`wrote ${jsonPath}`);
  }
}

function printWasmTable(rows: WasmRow[]): void {
  console.log('');
  const native = (threads: number) => results.find((r) => r.id === 'train-resnet20' && r.backend === 'native' && r.threads === threads);
  printColumns(['wasm', 'row', 'threads', 'wasm img/s', 'native img/s', 'PyTorch img/s', 'wasm/PyTorch'], rows.map((r) => {
    const torch = native(r.threads)?.torch;
    return ['wasm', r.label, String(r.threads), r.imagesPerSecond.toFixed(1), native(r.threads)?.value.toFixed(1) ?? '', torch?.toFixed(1) ?? '', torch ? (r.imagesPerSecond / torch).toFixed(2) : ''];
  }), 2);
  console.log('threads > 1: Node worker threads over one shared WebAssembly memory (the browser stays on one thread); native and PyTorch from the model section when it ran');
}

function printTfjsTable(rows: TfjsComparison[]): void {
  console.log('');
  printColumns(['tfjs', 'row', 'ours-TS img/s', 'tfjs-cpu img/s', 'ours-TS/tfjs-cpu'], rows.map((r) => [
    'tfjs', r.label, r.ours.toFixed(2), r.tfjs.toFixed(r.tfjs < 1 ? 3 : 1), r.oursOverTfjs.toFixed(1),
  ]), 2);
  console.log(`1 thread each; TensorFlow.js 4.22 on its pure-JS cpu backend; median of ${rows.map((r) => `${r.steps.tfjs}`).join('/')} tfjs step(s); ResNet-20 in TF.js uses 1×1 projections at the 2 stage transitions (≈1 % more FLOPs)`);
}

function printMemoryTable(rows: MemoryComparison[], python: string | null): void {
  console.log('');
  const mb = (v: number | undefined) => (v === undefined ? '' : v.toFixed(0));
  printColumns(['memory', 'row', 'backend', 'base MB', 'peak MB', 'peak−base', 'PyTorch base', 'PyTorch peak', 'PyTorch peak−base', 'peak ours/PyTorch', '(peak−base) ours/PyTorch'], rows.map((r) => [
    'memory', r.label, r.backend, mb(r.ours.baselineRssMB), mb(r.ours.peakRssMB), mb(r.ours.peakRssMB - r.ours.baselineRssMB),
    mb(r.torch?.baselineRssMB), mb(r.torch?.peakRssMB), r.torch ? mb(r.torch.peakRssMB - r.torch.baselineRssMB) : '',
    r.peakOursOverTorch?.toFixed(2) ?? '', r.trainingOursOverTorch?.toFixed(2) ?? '',
  ]), 3);
  const runs = rows[0] ? `median of ${rows[0].ours.runs} fresh process(es) per cell` : '';
  console.log(`resident set: baseline right after the imports, peak = VmHWM (the process image's own high-water mark; getrusage maxRSS where there is no /proc); ${runs}; ${python ? 'PyTorch at 2 threads, same loop; ours/PyTorch ≤ 1 meets the target' : 'no PyTorch: apt-get install -y python3-torch for the ratios'}`);
}

function printTable(torchNote: string): void {
  const header = ['group', 'row', 'backend', 'threads', 'value', 'unit', '% peak', 'PyTorch', 'ours/PyTorch'];
  const lines = results.map((r) => [
    r.group, r.row, r.backend, String(r.threads), r.value.toFixed(r.value < 10 ? 2 : 1), r.unit,
    r.percentOfPeak !== undefined ? r.percentOfPeak.toFixed(0) : '', r.torch !== undefined ? r.torch.toFixed(r.torch < 10 ? 2 : 1) : '',
    r.oursOverTorch !== undefined ? r.oursOverTorch.toFixed(2) : '',
  ]);
  printColumns(header, lines, 3);
  for (const [threads, peak] of peaks) console.log(`FP32 FMA peak (${threads} thread${threads > 1 ? 's' : ''}) at the start: ${(peak / 1e9).toFixed(1)} GFLOP/s; each row's % peak uses the peak measured right before it (median over rounds)`);
  if (modelFlops.size > 0) {
    console.log(`% peak of a model row: its convolution and matrix-product FLOPs (forward, and for training both gradients) per second, over that peak (bf16 rows: over the bf16 dot-product peak, twice the FP32 one, when the CPU has AVX512-BF16); per image: ${[...modelFlops].map(([id, f]) => `${id} ${(f / 1e9).toFixed(3)} GFLOP`).join(', ')}`);
  }
  console.log(torchNote);
  console.log(`times: median after a warm-up, ${clock === 'cpu' ? 'process CPU time ÷ threads (--clock cpu)' : 'wall clock'}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (!native) console.log('native backend not built: run `npm ci` (or node scripts/build-native.mjs) with a C++17 compiler');
}

await main();
