/**
 * The JavaScript side of a training step on the native backend: CPU time per step, the part spent
 * inside kernels, the rest (autograd, allocation, garbage collection), GC pauses and peak memory,
 * as medians over several steps (one step alone is too noisy on a shared machine).
 *
 *   npx tsx bench/js-overhead.bench.ts [threads=1] [row id=train-resnet20] [steps=7]
 *
 * Row ids are those of bench/native-suites.ts. Peak memory is process.resourceUsage().maxRSS
 * after all steps (the model, one warm-up step and `steps` measured ones).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { configureNative } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/select.js';
import { modelRows, modelRunner } from './native-suites.js';
import { cpuChargedBackend, nativeOrExit, processCpuMs } from './native-script.js';

const cpuMs = processCpuMs;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const native = nativeOrExit();
const threads = Number(process.argv[2] ?? 1);
const id = process.argv[3] ?? 'train-resnet20';
const steps = Number(process.argv[4] ?? 7);
const row = modelRows().find((r) => r.id === id);
if (!row) throw new Error(`js-overhead: unknown row '${id}' (one of ${modelRows().map((r) => r.id).join(', ')})`);

let kernelMs = 0;
setBackend(cpuChargedBackend(native, (_name, _args, ms) => (kernelMs += ms)));
configureNative({ threads });

let gcMs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
observer.observe({ entryTypes: ['gc'] });

const step = modelRunner(row);
step(); // warm-up
const total: number[] = [];
const kernels: number[] = [];
const wall: number[] = [];
const gcStart = gcMs;
for (let i = 0; i < steps; i++) {
  kernelMs = 0;
  const start = cpuMs();
  const wallStart = performance.now();
  step();
  wall.push(performance.now() - wallStart);
  total.push(cpuMs() - start);
  kernels.push(kernelMs);
}
// GC entries arrive asynchronously: let them land before reading the sum.
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();
const js = total.map((t, i) => t - kernels[i]!);
console.log(
  `${row.label}, native, ${threads} thread(s), median of ${steps}: ${median(total).toFixed(0)} ms CPU per step ` +
  `(${median(kernels).toFixed(0)} in kernels, ${median(js).toFixed(0)} outside), wall ${median(wall).toFixed(0)} ms ` +
  `(best ${Math.min(...wall).toFixed(0)}), GC pauses ${((gcMs - gcStart) / steps).toFixed(1)} ms per step, ` +
  `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
