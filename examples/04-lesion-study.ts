/**
 * Example 4 — a lesion study (Veit et al. 2016, §4) on a model you trained on your own images.
 *
 *   npx tsx 04-lesion-study.ts --data-dir photos/ [--epochs 10] [--size 32] [--save resnet.safetensors]
 *   npx tsx 04-lesion-study.ts --data-dir photos/ --weights resnet.safetensors     # skip training
 *
 * `photos/` holds one folder per class (PNG or JPEG, any size), as torchvision's ImageFolder.
 * After training (or loading your weights), every residual block that keeps its input's shape is
 * deleted in turn — its output becomes its shortcut's, y = shortcut(x) — and the test error is
 * measured again. Veit et al. found that a residual network survives the loss of most single
 * blocks (its paths act like an ensemble); the downsampling blocks, which change the resolution,
 * are left out of that claim and of this study. The model is never changed: a lesion is a scoped
 * override. The command line runs the full experiment (several seeds, random multi-block
 * deletions, an HTML report) on saved weights:
 *
 *   npx skiplab experiment lesion --weights resnet.safetensors --model resnet_cifar --model-options '{"depth": 20}' --dataset folder --data-dir photos/
 */
import { parseArgs } from 'node:util';
import {
  analysis, createModel, DataLoader, loadImageFolderSplit, loadSafetensors, optim, saveSafetensors, Trainer, cosineLr,
} from 'skiplab';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' }, weights: { type: 'string' }, save: { type: 'string' },
    epochs: { type: 'string', default: '10' }, size: { type: 'string', default: '32' }, depth: { type: 'string', default: '20' },
  },
});
if (!values['data-dir']) throw new Error('usage: 04-lesion-study.ts --data-dir DIR [--weights FILE] [--epochs N] [--size PX] [--save FILE]');

const size = Number(values.size);
const train = loadImageFolderSplit(values['data-dir'], 'train', { size }); // (N, 3, size, size) bytes
const test = loadImageFolderSplit(values['data-dir'], 'test', { size });
const normalize = train.channelStats();
console.log(`${train.count} training and ${test.count} test images, classes: ${train.classNames!.join(', ')}`);

// A CIFAR-style ResNet (He et al. 2015 §4.2): 3 stages, option-A shortcuts, global pooling.
const model = createModel('resnet_cifar', { depth: Number(values.depth), numClasses: train.numClasses, inChannels: 3 });
if (values.weights) {
  model.loadStateDict(await loadSafetensors(values.weights), { source: values.weights });
} else {
  const loader = new DataLoader(train, { batchSize: 16, shuffle: true, seed: 0, normalize });
  const epochs = Number(values.epochs);
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const trainer = new Trainer({ model, optimizer, train: loader, epochs, schedule: cosineLr(0.05, epochs * loader.batchesPerEpoch) });
  const { epochs: reports } = await trainer.fit();
  console.log(`trained ${epochs} epochs, final training error ${(100 * reports.at(-1)!.trainError).toFixed(1)} %`);
  if (values.save) await saveSafetensors(values.save, model.stateDict());
}

// The test set as fixed batches, and the error with each block deleted in turn.
const batches = [...new DataLoader(test, { batchSize: 100, normalize })];
const { baseline, lesions } = analysis.lesionEachBlock(model, batches);
console.log(`test error, nothing deleted: ${(100 * baseline).toFixed(1)} %`);
for (const { block, error } of lesions) {
  console.log(`delete ${block.padEnd(10)} test error ${(100 * error).toFixed(1).padStart(5)} %  (${error >= baseline ? '+' : ''}${(100 * (error - baseline)).toFixed(1)})`);
}
const harmless = lesions.filter((l) => l.error - baseline <= 0.05).length;
console.log(`${harmless} of ${lesions.length} single-block deletions raise the test error by at most 5 points`);
