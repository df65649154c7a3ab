/**
 * Where a training step's time goes on the native backend: every kernel call is wrapped and
 * charged its process CPU time (robust on a shared machine, unlike wall time).
 *
 *   npx tsx bench/native-profile.bench.ts [threads=1] [row id=train-resnet20]
 *
 * Row ids are those of bench/native-suites.ts (train-resnet20, train-unet, …). The difference
 * between the step total and the kernel sum is JavaScript (autograd, tensor allocation).
 */
import { configureNative } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/select.js';
import { modelRows, modelRunner } from './native-suites.js';
import { cpuChargedBackend, nativeOrExit, processCpuMs } from './native-script.js';

const cpuMs = processCpuMs;

const native = nativeOrExit();
const threads = Number(process.argv[2] ?? 1);
const id = process.argv[3] ?? 'train-resnet20';
const row = modelRows().find((r) => r.id === id);
if (!row) throw new Error(`native-profile: unknown row '${id}' (one of ${modelRows().map((r) => r.id).join(', ')})`);

const charged = new Map<string, { ms: number; calls: number }>();
setBackend(cpuChargedBackend(native, (name, _args, ms) => {
  const entry = charged.get(name) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  charged.set(name, entry);
}));
configureNative({ threads });
const step = modelRunner(row);
step(); // warm-up
charged.clear();
const start = cpuMs();
step();
const total = cpuMs() - start;
const inKernels = [...charged.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${row.label}, native, ${threads} thread(s): ${total.toFixed(0)} ms CPU per step, ${inKernels.toFixed(0)} ms in kernels`);
for (const [name, e] of [...charged].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(0).padStart(3)}%  ${e.calls} calls`);
}
