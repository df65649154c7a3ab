import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The standard recipe as a PyTorch calibration file records it (the twins below train with it at 4 epochs). */
export const CALIBRATION_RECIPE = { baseWidth: 8, epochs: 4, batchSize: 128, lr: 0.1, warmupEpochs: 0, trainCount: 60000, testCount: 1000 };

/**
 * The training spec of a ResNet-14 and its plain twin at seeds 0–2 in `root/twins`, as `skiplab
 * experiment lesion|paths --standard` stores the runs it measures; `epochs` other than 4 make a
 * recipe the calibration does not match.
 */
export function writeTwinsSpec(root: string, epochs: number): void {
  mkdirSync(join(root, 'twins'), { recursive: true });
  writeFileSync(join(root, 'twins', 'experiment.json'), JSON.stringify({
    name: 'twins', kind: 'training', seeds: [0, 1, 2], grid: { 'modelOptions.skip': ['identity', 'none'] },
    base: { model: 'resnet_cifar', modelOptions: { depth: 14, baseWidth: 8 }, dataset: 'fashion-mnist', testSubset: 1000, epochs, batchSize: 128, lr: 0.1, schedule: 'step', warmupEpochs: 0, augment: 'none' },
  }));
}
