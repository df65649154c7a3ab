import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { getBackend } from '../../src/backend/select.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';

/**
 * A few seeded training steps of a small CIFAR ResNet (depth 8, width 4) on the active backend:
 * conv, batch norm, ReLU, the residual adds, pooling, cross-entropy and SGD with momentum all run.
 * Shared by Node and the page of test/backend/wasm-browser.test.ts, so both compute exactly this.
 */
export function trainingStepLosses(steps = 3): { backend: string; losses: number[] } {
  const rng = new Rng(2024);
  const model = resnetCifar({ depth: 8, baseWidth: 4, inChannels: 1, rng });
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const x = randn([6, 1, 12, 12], { rng });
  const labels = intTensor([3, 1, 4, 1, 5, 9]);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(x), labels);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  return { backend: getBackend().name, losses };
}
