/**
 * Example 6, the Web Worker: trains a small ResNet on the WebAssembly backend, off the page's
 * thread, and posts its progress. Bundled for the browser, `import 'skiplab'` resolves to the
 * package's browser entry (no Node modules). `initWasmBackend()` fetches `kernels.wasm` from
 * beside this script (`new URL('./kernels.wasm', import.meta.url)`): Vite and webpack copy it
 * there themselves; with esbuild, copy `node_modules/skiplab/dist/src/backend/wasm/kernels.wasm`
 * (exported as `skiplab/kernels.wasm`) next to the bundle, or pass its URL.
 */
import { accuracy, createModel, getBackend, initWasmBackend, intTensor, manualSeed, noGrad, optim, nn, Rng, setBackend, Tensor } from 'skiplab';
import type { Progress, TrainRequest } from './protocol.js';

const post = (message: Progress): void => (self as unknown as Worker).postMessage(message);

/**
 * A batch of (N, 1, 16, 16) images: class 0 has horizontal stripes, class 1 vertical, at a
 * random phase with noise — learnable only by looking at the image's layout.
 */
function stripes(count: number, rng: Rng): { x: Tensor; y: Tensor } {
  const size = 16;
  const data = new Float32Array(count * size * size);
  const labels: number[] = [];
  for (let n = 0; n < count; n++) {
    const label = n % 2;
    const phase = Math.floor(rng.uniform() * 4);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const along = label === 0 ? i : j;
        data[n * size * size + i * size + j] = ((along + phase) % 4 < 2 ? 1 : -1) + 0.3 * rng.normal();
      }
    }
    labels.push(label);
  }
  return { x: new Tensor(data, [count, 1, size, size]), y: intTensor(labels) };
}

self.onmessage = async (event: MessageEvent<TrainRequest>) => {
  const { steps, batchSize } = event.data;
  setBackend(await initWasmBackend());
  manualSeed(0);
  const rng = new Rng(1);
  // ResNet-8 as in He et al. 2015 §4.2 (3 stages of one basic block), for 1-channel 16×16 images.
  const model = createModel('resnet_cifar', { depth: 8, numClasses: 2, inChannels: 1 });
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  for (let step = 1; step <= steps; step++) {
    const { x, y } = stripes(batchSize, rng);
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    post({ kind: 'step', step, loss: loss.item() });
  }
  model.eval();
  const test = stripes(64, new Rng(99));
  const testAccuracy = noGrad(() => accuracy(model.forward(test.x), test.y));
  post({ kind: 'done', backend: getBackend().name, testAccuracy });
};
