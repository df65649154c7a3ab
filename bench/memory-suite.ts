/**
 * The `memory` section of `npm run bench` (issue 5 target: "peak resident memory of a ResNet-56
 * batch-128 training run ≤ PyTorch's"). Each measurement is a fresh process — ours
 * bench/memory-child.ts, PyTorch bench/torch_suite.py's memory mode — that builds CIFAR ResNet-56
 * (853,018 parameters, option A shortcuts) and runs a few training steps on random 128×3×32×32
 * input with SGD momentum 0.9. The table shows each process's resident set right after its
 * imports (the runtime's baseline), its peak (Linux's VmHWM, else getrusage maxRSS), and the peak minus the baseline
 * (what training itself costs), each the median of a few fresh processes (peaks vary with GC
 * and allocator timing).
 *
 * Three loops: `keeps last loss` is the usual loop (`loss = ...` stays referenced until the next
 * step has run, as in most PyTorch scripts); `step in a function` drops the loss when the step
 * returns; `recycled step` (ours only, PyTorch runs its step in a function) runs the step inside
 * `recycleTensors`, as src/train/trainer.ts and the model rows of this bench do.
 *
 * The peak is VmHWM from /proc/self/status where there is one: getrusage's maxRSS survives
 * fork + exec on Linux, so a child of a large parent (this bench after its model rows holds
 * about 1.2 GB) would report the parent's high-water mark instead of its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torchThreadsEnv } from './torch-env.js';

export interface MemoryRun {
  runtime: string;
  parameters: number;
  steps: number;
  stepSeconds: number[];
  baselineRssMB: number;
  afterBuildRssMB: number;
  endRssMB: number;
  peakRssMB: number;
  /** VmHWM (Linux): this process image's own high-water mark. */
  vmHwmMB?: number | null;
}

/** Median of several fresh processes' numbers, with the spread of the peak. */
export interface MemorySummary { runs: number; baselineRssMB: number; peakRssMB: number; peakMinMB: number; peakMaxMB: number; runtime: string }

export type LoopVariant = 'keeps-last-loss' | 'scoped' | 'recycled';
const LOOP_LABELS: Record<LoopVariant, string> = { 'keeps-last-loss': 'loop keeps last loss', scoped: 'step in a function', recycled: 'recycled step' };

export interface MemoryComparison {
  id: string;
  label: string;
  backend: 'native' | 'ts';
  loop: LoopVariant;
  threads: number;
  ours: MemorySummary;
  torch?: MemorySummary;
  /** Peak RSS ours / PyTorch: at most 1 meets the target. */
  peakOursOverTorch?: number;
  /** (peak − baseline) ours / PyTorch. */
  trainingOursOverTorch?: number;
}

export interface MemoryOptions {
  model: string;
  batch: number;
  steps: number;
  threads: number;
  /** Fresh processes per measurement (the median is reported). */
  runs: number;
  /** Also run the TypeScript backend (slow: tens of seconds per ResNet-56 step; one run, usual loop). */
  withTs: boolean;
  python: string | null;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export function summarize(runs: MemoryRun[]): MemorySummary {
  if (runs.length === 0) throw new Error('memory bench: no runs to summarize');
  const peaks = runs.map((r) => r.vmHwmMB ?? r.peakRssMB);
  return {
    runs: runs.length, runtime: runs[0]!.runtime, baselineRssMB: median(runs.map((r) => r.baselineRssMB)),
    peakRssMB: median(peaks), peakMinMB: Math.min(...peaks), peakMaxMB: Math.max(...peaks),
  };
}

/** Ours / PyTorch for the peak and for the peak above each runtime's baseline. */
export function memoryRatios(ours: MemorySummary, torch: MemorySummary): { peak: number; training: number } {
  return {
    peak: ours.peakRssMB / torch.peakRssMB,
    training: (ours.peakRssMB - ours.baselineRssMB) / (torch.peakRssMB - torch.baselineRssMB),
  };
}

/** The last line of a child's stdout, parsed; a clear error names the child and its stderr. */
function lastJsonLine(what: string, result: ReturnType<typeof spawnSync>): MemoryRun {
  const stdout = String(result.stdout ?? '').trim();
  if (result.status !== 0 || stdout.length === 0) {
    throw new Error(`memory bench: ${what} failed (exit ${result.status}): ${String(result.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(stdout.split('\n').pop()!) as MemoryRun;
}

/** Our side in a fresh Node process (tsx loader, so the TypeScript sources run as they are). */
export function runOurs(backend: 'native' | 'ts', loop: LoopVariant, options: MemoryOptions): MemoryRun {
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const config = { backend, threads: options.threads, model: options.model, batch: options.batch, steps: options.steps, scoped: loop === 'scoped', recycle: loop === 'recycled' };
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), child, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return lastJsonLine(`node ${child} (${backend})`, result);
}

export function runTorch(python: string, loop: LoopVariant, options: MemoryOptions): MemoryRun {
  const script = fileURLToPath(new URL('./torch_suite.py', import.meta.url));
  const config = { mode: 'memory', model: options.model, batch: options.batch, steps: options.steps, threads: options.threads, scoped: loop !== 'keeps-last-loss' };
  return lastJsonLine(`${python} ${script} (memory)`, spawnSync(python, [script, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 24, env: torchThreadsEnv(options.threads) }));
}

export function runMemorySection(options: MemoryOptions, log: (line: string) => void): MemoryComparison[] {
  const rows: MemoryComparison[] = [];
  const cases: [('native' | 'ts'), LoopVariant, number][] = [['native', 'keeps-last-loss', options.runs], ['native', 'scoped', options.runs], ['native', 'recycled', options.runs]];
  if (options.withTs) cases.push(['ts', 'keeps-last-loss', 1]);
  const torchByLoop = new Map<LoopVariant, MemorySummary>();
  for (const [backend, loop, runs] of cases) {
    let ours: MemorySummary;
    try {
      ours = summarize(Array.from({ length: runs }, () => runOurs(backend, loop, options)));
    } catch (error) {
      log(`  memory ${backend} ${loop}: ${(error as Error).message}`);
      continue;
    }
    log(`  memory ${backend} ${loop}: baseline ${ours.baselineRssMB.toFixed(0)} MB, peak ${ours.peakRssMB.toFixed(0)} MB (${ours.peakMinMB.toFixed(0)}–${ours.peakMaxMB.toFixed(0)})`);
    // PyTorch frees a step's activations when the step returns: its twin of a recycled step is the step in a function.
    const torchLoop: LoopVariant = loop === 'recycled' ? 'scoped' : loop;
    if (options.python && !torchByLoop.has(torchLoop)) {
      const torch = summarize(Array.from({ length: options.runs }, () => runTorch(options.python!, torchLoop, options)));
      torchByLoop.set(torchLoop, torch);
      log(`  memory PyTorch ${torchLoop}: baseline ${torch.baselineRssMB.toFixed(0)} MB, peak ${torch.peakRssMB.toFixed(0)} MB (${torch.peakMinMB.toFixed(0)}–${torch.peakMaxMB.toFixed(0)})`);
    }
    const torch = torchByLoop.get(torchLoop);
    const ratios = torch ? memoryRatios(ours, torch) : undefined;
    rows.push({
      id: `memory-${options.model}-${backend}-${loop}`,
      label: `${options.model} train, batch ${options.batch}, ${options.steps} steps, ${LOOP_LABELS[loop]}`,
      backend, loop, threads: backend === 'ts' ? 1 : options.threads, ours,
      ...(torch && ratios ? { torch, peakOursOverTorch: ratios.peak, trainingOursOverTorch: ratios.training } : {}),
    });
  }
  return rows;
}
