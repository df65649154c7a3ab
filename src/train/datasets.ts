import type { ImageDataset } from '../data/dataset.js';
import { datasetShape, type DatasetShape } from '../data/registry.js';
import { Rng } from '../tensor/rng.js';
import type { TrainConfig } from './config.js';

/** A seeded subset with (nearly) the same number of images of every class. */
export function balancedSubset(dataset: ImageDataset, count: number, seed: number): ImageDataset {
  if (count >= dataset.count) return dataset;
  const rng = new Rng(seed ^ 0x5eed);
  const byClass = new Map<number, number[]>();
  for (const i of rng.permutation(dataset.count)) {
    const label = dataset.labels[i]!;
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const chosen: number[] = [];
  // Round-robin over classes keeps the subset balanced whatever `count` is.
  for (let round = 0; chosen.length < count; round++) {
    for (const c of classes) {
      const list = byClass.get(c)!;
      if (round < list.length && chosen.length < count) chosen.push(list[round]!);
    }
  }
  chosen.sort((a, b) => a - b);
  return dataset.subset(chosen);
}

/** The shape of a config's images and its number of classes, without loading the data. */
export function runDataShape(config: Pick<TrainConfig, 'dataset' | 'segmentation' | 'dataDir' | 'imageSize'>): DatasetShape {
  if (config.dataset !== 'digit-segmentation') return datasetShape(config.dataset, { dataDir: config.dataDir, imageTransform: { size: config.imageSize } });
  const size = config.segmentation?.size ?? 64;
  return { channels: 1, height: size, width: size, numClasses: config.segmentation?.labels === 'binary' ? 2 : 11 };
}
