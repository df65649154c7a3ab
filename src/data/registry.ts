import type { CacheOptions } from './cache.js';
import { CIFAR10_CLASS_NAMES, loadCifar10 } from './cifar10.js';
import type { IdxSearch } from './data-source.js';
import { ImageDataset, type Split } from './dataset.js';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist } from './fashion-mnist.js';
import { imageFolderClassNames, loadImageFolderSplit } from './image-folder.js';
import { imageTransform, type ImageTransformOptions } from './image-files.js';
import { loadMnist, MNIST_CLASS_NAMES } from './mnist.js';
import { DataError } from '../util/errors.js';

/**
 * The classification datasets skiplab can load by name (for the CLI and experiment specs);
 * 'folder' is your own images in class folders (see `loadImageFolderSplit`).
 */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'folder'] as const;
/** A dataset `loadImageDataset` knows by name. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Shape of a dataset's images and its class count. */
export interface DatasetShape {
  channels: number;
  height: number;
  width: number;
  numClasses: number;
}

/** The shapes of the built-in datasets, known without loading them. */
export const DATASET_SHAPES: Readonly<Record<Exclude<DatasetName, 'folder'>, DatasetShape>> = {
  mnist: { channels: 1, height: 28, width: 28, numClasses: 10 },
  'fashion-mnist': { channels: 1, height: 28, width: 28, numClasses: 10 },
  cifar10: { channels: 3, height: 32, width: 32, numClasses: 10 },
};

/**
 * The shape a dataset's images will have once loaded: fixed for the built-in sets; for 'folder',
 * the transform's channels and size and one class per class folder (so the folder must still exist).
 */
export function datasetShape(name: DatasetName, options: LoadDatasetOptions = {}): DatasetShape {
  if (name !== 'folder') return DATASET_SHAPES[name];
  if (!options.dataDir) throw new DataError("datasetShape: 'folder' needs dataDir, a folder of class folders (or of train/ and test/ holding them)");
  const { channels, height, width } = imageTransform(options.imageTransform);
  return { channels, height, width, numClasses: imageFolderClassNames(options.dataDir).length };
}

/**
 * Options of `loadImageDataset`: the data folder, the image transform of 'folder', and the cache.
 */
export interface LoadDatasetOptions extends CacheOptions, Omit<IdxSearch, 'dataDir'> {
  /**
   * The dataset's folder: the official idx files of MNIST / Fashion-MNIST (else they are searched
   * for, see `findIdxDirectory`), the CIFAR-10 binary batches or the class folders of 'folder'
   * (required for both).
   */
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
        throw new DataError("loadImageDataset: 'cifar10' needs dataDir, the directory of the CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)");
      }
      return new ImageDataset({ ...loadCifar10(options.dataDir, split), classNames: CIFAR10_CLASS_NAMES });
    case 'folder':
      if (!options.dataDir) throw new DataError("loadImageDataset: 'folder' needs dataDir, a folder of class folders (or of train/ and test/ holding them)");
      return loadImageFolderSplit(options.dataDir, split, options.imageTransform);
    default:
      throw new DataError(`loadImageDataset: unknown dataset '${String(name)}' (choose ${DATASET_NAMES.join(', ')})`);
  }
}
