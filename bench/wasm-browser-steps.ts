import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { resnetCifar } from '../src/models/resnet-cifar.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn } from '../src/tensor/tensor.js';

/** ResNet-20 training steps on the active backend (Node or the page of wasm-browser.bench.ts): fastest step's images/s. */
export function resnet20ImagesPerSecond(batch: number, steps: number): number {
  const rng = new Rng(3);
  const model = resnetCifar({ depth: 20, rng });
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const x = randn([batch, 3, 32, 32], { rng });
  const labels = intTensor(Array.from({ length: batch }, () => rng.int(10)));
  let best = Infinity;
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    optimizer.zeroGrad();
    crossEntropy(model.forward(x), labels).backward();
    optimizer.step();
    if (step > 0) best = Math.min(best, (performance.now() - start) / 1e3);
  }
  return batch / best;
}
