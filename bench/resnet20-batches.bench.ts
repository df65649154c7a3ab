/**
 * ResNet-20 training steps (CIFAR input) at batch 32, 64 and 128 on the native backend: images/s
 * by process CPU time ÷ threads (robust on a shared machine), median of `rounds` timings of
 * `steps` steps each, and each batch's images/s as a share of batch 128's.
 *
 *   npx tsx bench/resnet20-batches.bench.ts [threads=2] [steps=4] [rounds=3]
 */
import { configureNative } from '../src/backend/native/index.js';
import { modelRows, modelRunner } from './native-suites.js';
import { nativeOrExit, processCpuMs } from './native-script.js';

nativeOrExit();
const threads = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 3);
configureNative({ threads });
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const rates = new Map<number, number>();
for (const id of ['train-resnet20', 'train-resnet20-b64', 'train-resnet20-b32']) {
  const row = modelRows().find((r) => r.id === id)!;
  const batch = row.input[0]!;
  const step = modelRunner(row);
  step();
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = processCpuMs();
    for (let i = 0; i < steps; i++) step();
    perRound.push((batch * steps) / ((processCpuMs() - start) / threads / 1000));
  }
  rates.set(batch, median(perRound));
}
for (const [batch, rate] of [...rates].sort((a, b) => a[0] - b[0])) {
  console.log(`ResNet-20 batch ${String(batch).padStart(3)}, ${threads} threads: ${rate.toFixed(1).padStart(7)} images/s (CPU ÷ threads), ${((100 * rate) / rates.get(128)!).toFixed(0)} % of batch 128`);
}
