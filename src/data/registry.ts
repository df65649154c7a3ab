import type { CacheOptions } from './cache.js';
import { CIFAR10_CLASS_NAMES, loadCifar10 } from './cifar10.js';
import type { IdxSearch } from './data-source.js';
import { ImageDataset, type Split } from './dataset.js';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist } from './fashion-mnist.js';
import { loadMnist, MNIST_CLASS_NAMES } from './mnist.js';
import { DataError } from '../util/errors.js';

/** The classification datasets skiplab can load by name (for the CLI and experiment specs). */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Shape of each named dataset's images and its class count, known without loading it. */
export interface DatasetShape {
  channels: number;
  height: number;
  width: number;
  numClasses: number;
}

export const DATASET_SHAPES: Readonly<Record<DatasetName, DatasetShape>> = {
  mnist: { channels: 1, height: 28, width: 28, numClasses: 10 },
  'fashion-mnist': { channels: 1, height: 28, width: 28, numClasses: 10 },
  cifar10: { channels: 3, height: 32, width: 32, numClasses: 10 },
};

export interface LoadDatasetOptions extends CacheOptions, Omit<IdxSearch, 'dataDir'> {
  /**
   * The dataset's folder: the official idx files of MNIST / Fashion-MNIST (else they are searched
   * for, see `findIdxDirectory`), or the CIFAR-10 binary batches (required for 'cifar10').
   */
  dataDir?: string;
  /** Same as `dataDir`, for 'cifar10' only. */
  cifar10Dir?: string;
}

/**
 * A split of a named dataset as an `ImageDataset` with its class names.
 *
 * @example const train = loadImageDataset('fashion-mnist', 'train');
 */
export function loadImageDataset(name: DatasetName, split: Split, options: LoadDatasetOptions = {}): ImageDataset {
  switch (name) {
    case 'mnist':
      return new ImageDataset({ ...loadMnist(split, options), classNames: MNIST_CLASS_NAMES });
    case 'fashion-mnist':
      return new ImageDataset({ ...loadFashionMnist(split, options), classNames: FASHION_MNIST_CLASS_NAMES });
    case 'cifar10': {
      const cifar10Dir = options.cifar10Dir ?? options.dataDir;
      if (!cifar10Dir) {
        throw new DataError("loadImageDataset: 'cifar10' needs cifar10Dir, the directory of the CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)");
      }
      return new ImageDataset({ ...loadCifar10(cifar10Dir, split), classNames: CIFAR10_CLASS_NAMES });
    }
    default:
      throw new Error(`loadImageDataset: unknown dataset '${String(name)}' (choose ${DATASET_NAMES.join(', ')})`);
  }
}
