import type { CacheOptions } from './cache.js';
import { CIFAR10_CLASS_NAMES, loadCifar10 } from './cifar10.js';
import { ImageDataset, type Split } from './dataset.js';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist } from './fashion-mnist.js';
import { loadImageFolderSplit } from './image-folder.js';
import type { ImageTransformOptions } from './image-files.js';
import { loadMnist, MNIST_CLASS_NAMES } from './mnist.js';

/**
 * The classification datasets skiplab can load by name (for the CLI and experiment specs);
 * 'folder' is your own images in class folders (see `loadImageFolderSplit`).
 */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'folder'] as const;
/** A dataset `loadImageDataset` knows by name. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/**
 * Options of `loadImageDataset`: the data folder (CIFAR-10, `folder`), the image transform of `folder`, and the cache.
 */
export interface LoadDatasetOptions extends CacheOptions {
  /** The dataset's folder: CIFAR-10's binary batches, or the class folders of 'folder'; required for both. */
  dataDir?: string;
  /** How 'folder' images are resized and cropped (default 32x32 RGB). */
  imageTransform?: ImageTransformOptions;
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
    case 'cifar10':
      if (!options.dataDir) {
        throw new Error("loadImageDataset: 'cifar10' needs dataDir, the directory of the CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)");
      }
      return new ImageDataset({ ...loadCifar10(options.dataDir, split), classNames: CIFAR10_CLASS_NAMES });
    case 'folder':
      if (!options.dataDir) throw new Error("loadImageDataset: 'folder' needs dataDir, a folder of class folders (or of train/ and test/ holding them)");
      return loadImageFolderSplit(options.dataDir, split, options.imageTransform);
    default:
      throw new Error(`loadImageDataset: unknown dataset '${String(name)}' (choose ${DATASET_NAMES.join(', ')})`);
  }
}
