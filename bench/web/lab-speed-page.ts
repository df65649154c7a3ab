/**
 * The page side of bench/web-lab.bench.ts: training steps of the browser lab's small ResNet
 * (ResNet-8, base width 8, 1x28x28 inputs, batch 32, Adam) with skiplab on the wasm backend —
 * built by the lab's own `buildLabModel` — and with TensorFlow.js on its CPU backend, in the
 * same page. TF.js has no zero-padding shortcut layer, so its two stage transitions use a 1x1
 * projection (option B), a few hundred extra multiply-adds per pixel at most.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { setBackend } from '../../src/backend/select.js';
import { initWasmBackend } from '../../src/backend/wasm/index.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';
import { buildLabModel } from '../../web/src/lab-model.js';
import { defaultSettings } from '../../web/src/settings.js';

export interface StepTimes {
  /** Steps per second over all timed steps (after one warm-up step). */
  mean: number;
  /** Steps per second of the fastest step (the least disturbed on a shared machine). */
  fastest: number;
}

const summarize = (seconds: number[]): StepTimes => ({
  mean: seconds.length / seconds.reduce((a, b) => a + b, 0),
  fastest: 1 / Math.min(...seconds),
});

async function skiplabSteps(batch: number, steps: number): Promise<StepTimes> {
  setBackend(await initWasmBackend(new URL('/kernels.wasm', location.href)));
  const model = buildLabModel({ ...defaultSettings('resnet'), depth: 8, width: 8, batchSize: batch, seed: 7 }, { channels: 1, imageSize: 28, numClasses: 10 });
  const optimizer = new Adam(model.parameters(), { lr: 0.003 });
  const rng = new Rng(3);
  const x = randn([batch, 1, 28, 28], { rng }); // (N, C, H, W)
  const y = intTensor(Array.from({ length: batch }, (_, i) => (i * 7) % 10), [batch]);
  const seconds: number[] = [];
  model.train();
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    optimizer.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    optimizer.step();
    if (step > 0) seconds.push((performance.now() - start) / 1e3);
  }
  return summarize(seconds);
}

function tfjsResnet8(width: number): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] }); // channels-last
  const conv = (filters: number, kernelSize: number, strides: number): tf.layers.Layer =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false });
  let x = conv(width, 3, 1).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(x)) as tf.SymbolicTensor;
  let channels = width;
  for (const filters of [width, 2 * width, 4 * width]) {
    const stride = filters === channels ? 1 : 2;
    let y = conv(filters, 3, stride).apply(x) as tf.SymbolicTensor;
    y = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(y)) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization().apply(conv(filters, 3, 1).apply(y)) as tf.SymbolicTensor;
    const shortcut = filters !== channels ? (conv(filters, 1, stride).apply(x) as tf.SymbolicTensor) : x;
    x = tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut])) as tf.SymbolicTensor;
    channels = filters;
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(pooled) as tf.SymbolicTensor });
}

async function tfjsSteps(batch: number, steps: number): Promise<StepTimes> {
  await tf.setBackend('cpu');
  const model = tfjsResnet8(8);
  const optimizer = tf.train.adam(0.003);
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 3);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32'), 10);
  const seconds: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    await loss?.data(); // wait for the step's work, then free it
    loss?.dispose();
    if (step > 0) seconds.push((performance.now() - start) / 1e3);
  }
  tf.dispose([x, labels]);
  model.dispose();
  return summarize(seconds);
}

(window as unknown as { bench: unknown }).bench = async (batch: number, skiplab: number, tfjs: number) => ({
  skiplab: await skiplabSteps(batch, skiplab),
  tfjs: await tfjsSteps(batch, tfjs),
});
