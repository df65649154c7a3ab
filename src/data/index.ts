export { ImageDataset, type ChannelStats, type ImageDatasetInit, type ImageSet, type Split } from './dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions, type DataLoaderState } from './loader.js';
export {
  composeAugmentations,
  padCropFlip,
  randomCrop,
  randomHorizontalFlip,
  type BatchAugmentation,
  type RandomCropOptions,
} from './augment.js';
export { loadMnist, readMnistSplit, readIdxSplit, MNIST_CLASS_NAMES, MNIST_PACKAGE, type MnistOptions } from './mnist.js';
export {
  loadFashionMnist,
  readFashionMnistSplits,
  invalidFashionMnistEntry,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_PACKAGE,
  FASHION_MNIST_TEST_PER_CLASS,
  FASHION_MNIST_TRAIN_PER_CLASS,
  type FashionMnistOptions,
} from './fashion-mnist.js';
export { loadCifar10, parseCifar10Batch, CIFAR10_CLASS_NAMES, CIFAR10_FILES } from './cifar10.js';
export {
  composeDigitSegmentation,
  loadDigitSegmentation,
  type DigitSegmentationLabels,
  type DigitSegmentationOptions,
} from './digit-segmentation.js';
export {
  dataSourceSchema,
  findIdxDirectory,
  idxDataSource,
  OFFICIAL_CONTENT_SHA256,
  SYSTEM_DATA_ROOTS,
  type DataSource,
  type IdxSearch,
} from './data-source.js';
export { parseIdx, readIdxFile, IdxFormatError, type IdxArray } from './idx.js';
export { defaultCacheDirectory, readImageCache, writeImageCache, type CacheOptions } from './cache.js';
export { resolvePackageDirectory } from './packages.js';
export { loadImageDataset, DATASET_NAMES, DATASET_SHAPES, datasetShape, type DatasetName, type DatasetShape, type LoadDatasetOptions } from './registry.js';
export { decodePng, PngFormatError, type DecodedPng } from './png.js';
export { decodeImage, ImageFormatError, type DecodedImage } from './image-decode.js';
export { centerCrop, resizeImage, resizeShorterSide, toChannels } from './image-resize.js';
export { imageDatasetFromFiles, imageTransform, type ImageFile, type ImageTransformOptions } from './image-files.js';
export { IMAGE_EXTENSIONS, imageFolderClassNames, listImageFolder, loadImageFolder, loadImageFolderSplit } from './image-folder.js';
export { loadSegmentationFolder, type SegmentationFolderOptions } from './segmentation-folder.js';
