/**
 * The comparison point of issue 12: TensorFlow.js on its pure-JavaScript CPU backend (what a
 * browser or a Node machine without tfjs-node gets), training the same two networks as
 * bench/wasm-training.bench.ts with the same batch and SGD with momentum.
 *
 * ResNet-20 follows He et al. 2016 §4.2 (3 stages of 3 basic blocks, 16/32/64 filters, global
 * average pooling, 10-way linear); TF.js's conv layers are channels-last, and the two stage
 * transitions use a 1x1 projection shortcut (option B) because TF.js has no zero-padding
 * shortcut layer — a difference of under 1 % of the FLOPs.
 */
import * as tf from '@tensorflow/tfjs';

export type TfjsCase = 'resnet20' | 'mlp';

function resnet20(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  const conv = (filters: number, kernelSize: number, strides: number): tf.layers.Layer =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false });
  let x = conv(16, 3, 1).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(x)) as tf.SymbolicTensor;
  let channels = 16;
  for (const filters of [16, 32, 64]) {
    for (let block = 0; block < 3; block++) {
      const stride = block === 0 && filters !== 16 ? 2 : 1;
      let y = conv(filters, 3, stride).apply(x) as tf.SymbolicTensor;
      y = tf.layers.reLU().apply(tf.layers.batchNormalization().apply(y)) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization().apply(conv(filters, 3, 1).apply(y)) as tf.SymbolicTensor;
      const shortcut = filters !== channels ? (conv(filters, 1, stride).apply(x) as tf.SymbolicTensor) : x;
      x = tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut])) as tf.SymbolicTensor;
      channels = filters;
    }
  }
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 10 }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

function mlp(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/** One TF.js training step (forward, softmax cross-entropy, backward, SGD with momentum) on a batch. */
export interface TfjsTrainer {
  /** Run one step on a batch of `batch` images (the model accepts any batch size). */
  step(batch: number): void;
  dispose(): void;
}

/**
 * A ResNet-20 or MLP in TF.js on its pure-JavaScript `cpu` backend, with random inputs and
 * labels for every batch size asked for (made once, so the step times only training).
 */
export async function tfjsTrainer(which: TfjsCase): Promise<TfjsTrainer> {
  // Production mode: no debug checks, and no "install tfjs-node" banner in the middle of a table.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const model = which === 'resnet20' ? resnet20() : mlp();
  const optimizer = tf.train.momentum(0.05, 0.9);
  const batches = new Map<number, [tf.Tensor, tf.Tensor]>();
  const data = (batch: number): [tf.Tensor, tf.Tensor] => {
    let pair = batches.get(batch);
    if (!pair) {
      const x = tf.randomNormal(which === 'resnet20' ? [batch, 32, 32, 3] : [batch, 784], 0, 1, 'float32', 3);
      const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32'), 10);
      pair = [x, labels];
      batches.set(batch, pair);
    }
    return pair;
  };
  return {
    step(batch) {
      const [x, labels] = data(batch);
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    },
    dispose() {
      for (const pair of batches.values()) tf.dispose(pair);
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Images per second of TF.js-cpu training steps (fastest of `steps` after one warm-up step). */
export async function tfjsImagesPerSecond(which: TfjsCase, batch: number, steps: number): Promise<number> {
  const trainer = await tfjsTrainer(which);
  let best = Infinity;
  for (let step = 0; step <= steps; step++) {
    const start = performance.now();
    trainer.step(batch);
    if (step > 0) best = Math.min(best, (performance.now() - start) / 1e3);
  }
  trainer.dispose();
  return batch / best;
}
