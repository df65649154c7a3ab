/**
 * Data-pipeline throughput, to check that loading never dominates a training step:
 *   - opening each cached dataset split (one file read + checksum),
 *   - assembling normalised batches of 128 (MNIST 1x28x28; CIFAR-shaped 3x32x32 with He et al.'s
 *     pad-4 crop + flip),
 *   - encoding/decoding a ResNet-50-sized safetensors buffer.
 *
 *   npx tsx bench/data.bench.ts
 *
 * Prints the best of several repetitions (the machine is shared).
 */
import { padCropFlip } from '../src/data/augment.js';
import { ImageDataset } from '../src/data/dataset.js';
import { loadFashionMnist } from '../src/data/fashion-mnist.js';
import { DataLoader } from '../src/data/loader.js';
import { loadMnist } from '../src/data/mnist.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors-codec.js';
import { Rng } from '../src/tensor/rng.js';
import { randn } from '../src/tensor/tensor.js';

function best(repetitions: number, fn: () => void): number {
  let fastest = Infinity;
  for (let r = 0; r < repetitions; r++) {
    const start = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

loadMnist('train');
loadFashionMnist('train'); // make sure the caches exist before timing
for (const [name, load] of [
  ['MNIST train (cached)', () => loadMnist('train')],
  ['MNIST test (cached)', () => loadMnist('test')],
  ['Fashion-MNIST train (cached)', () => loadFashionMnist('train')],
] as const) {
  console.log(`${name.padEnd(34)} ${best(5, load).toFixed(1)} ms`);
}

const mnist = ImageDataset.from(loadMnist('train'));
const loader = new DataLoader(mnist, { batchSize: 128, shuffle: true, seed: 0, normalize: { mean: [0.1307], std: [0.3081] } });
const mnistMs = best(5, () => {
  for (let i = 0; i < 100; i++) loader.next();
}) / 100;
console.log(`${'MNIST batch 128'.padEnd(34)} ${mnistMs.toFixed(3)} ms/batch  (${((128 / mnistMs) * 1000).toFixed(0)} images/s)`);

const rng = new Rng(1);
const count = 10000;
const cifarLike = new ImageDataset({
  images: Uint8Array.from({ length: count * 3072 }, () => rng.int(256)),
  labels: Uint8Array.from({ length: count }, () => rng.int(10)),
  count, channels: 3, height: 32, width: 32,
});
const cifarLoader = new DataLoader(cifarLike, { batchSize: 128, shuffle: true, seed: 0, normalize: cifarLike.channelStats(), augment: padCropFlip(4), reuseBuffers: true });
const cifarMs = best(5, () => {
  for (let i = 0; i < 50; i++) cifarLoader.next();
}) / 50;
console.log(`${'CIFAR-shaped batch 128 + crop/flip'.padEnd(34)} ${cifarMs.toFixed(3)} ms/batch  (${((128 / cifarMs) * 1000).toFixed(0)} images/s)`);

// ResNet-50 has 25.6M parameters; one tensor of that size stands in for its state dict.
const weights = { weight: randn([25_557_032], { rng }) };
let bytes: Uint8Array = new Uint8Array();
const encodeMs = best(3, () => { bytes = encodeSafetensors(weights); });
const decodeMs = best(3, () => { decodeSafetensors(bytes); });
console.log(`${'safetensors 102 MB encode / decode'.padEnd(34)} ${encodeMs.toFixed(0)} ms / ${decodeMs.toFixed(0)} ms`);
