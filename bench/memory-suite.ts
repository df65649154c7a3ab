/**
 * The `memory` section of `npm run bench` (issue 5 target: "peak resident memory of a ResNet-56
 * batch-128 training run ≤ PyTorch's"). Each side runs in a fresh process — ours in
 * bench/memory-child.ts, PyTorch in bench/torch_suite.py's memory mode — that builds CIFAR
 * ResNet-56 (853,018 parameters, option A shortcuts) and runs a few training steps on random
 * 128×3×32×32 input with SGD momentum 0.9. The table shows each process's resident set right
 * after its imports (the runtime's baseline), its peak (getrusage maxRSS), and the peak minus
 * the baseline (what training itself costs).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MemoryRun {
  runtime: string;
  parameters: number;
  steps: number;
  stepSeconds: number[];
  baselineRssMB: number;
  afterBuildRssMB: number;
  endRssMB: number;
  peakRssMB: number;
}

export interface MemoryComparison {
  id: string;
  label: string;
  side: 'native' | 'ts';
  threads: number;
  ours: MemoryRun;
  torch?: MemoryRun;
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
  /** Also run the TypeScript backend (slow: tens of seconds per ResNet-56 step). */
  withTs: boolean;
  python: string | null;
}

/** Ours / PyTorch for the peak and for the peak above each runtime's baseline. */
export function memoryRatios(ours: MemoryRun, torch: MemoryRun): { peak: number; training: number } {
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
export function runOurs(backend: 'native' | 'ts', options: MemoryOptions, nodeFlags: string[] = [], extra: Record<string, unknown> = {}): MemoryRun {
  const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const config = { backend, threads: options.threads, model: options.model, batch: options.batch, steps: options.steps, ...extra };
  const result = spawnSync(process.execPath, [...nodeFlags, '--import', import.meta.resolve('tsx'), child, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return lastJsonLine(`node ${child} (${backend})`, result);
}

export function runTorch(python: string, options: MemoryOptions): MemoryRun {
  const script = fileURLToPath(new URL('./torch_suite.py', import.meta.url));
  const config = { mode: 'memory', model: options.model, batch: options.batch, steps: options.steps, threads: options.threads };
  return lastJsonLine(`${python} ${script} (memory)`, spawnSync(python, [script, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

export function runMemorySection(options: MemoryOptions, log: (line: string) => void): MemoryComparison[] {
  const label = `${options.model} train, batch ${options.batch}, ${options.steps} steps`;
  const torch = options.python ? runTorch(options.python, options) : undefined;
  if (torch) log(`  memory torch: baseline ${torch.baselineRssMB.toFixed(0)} MB, peak ${torch.peakRssMB.toFixed(0)} MB`);
  const sides: ('native' | 'ts')[] = options.withTs ? ['native', 'ts'] : ['native'];
  const rows: MemoryComparison[] = [];
  for (const side of sides) {
    let ours: MemoryRun;
    try {
      ours = runOurs(side, options);
    } catch (error) {
      log(`  memory ${side}: ${(error as Error).message}`);
      continue;
    }
    log(`  memory ${side}: baseline ${ours.baselineRssMB.toFixed(0)} MB, peak ${ours.peakRssMB.toFixed(0)} MB`);
    const ratios = torch ? memoryRatios(ours, torch) : undefined;
    rows.push({
      id: `memory-${options.model}-${side}`, label, side, threads: side === 'ts' ? 1 : options.threads, ours,
      ...(torch && ratios ? { torch, peakOursOverTorch: ratios.peak, trainingOursOverTorch: ratios.training } : {}),
    });
  }
  return rows;
}
