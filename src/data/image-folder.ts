import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { ImageDataset, Split } from './dataset.js';
import { imageDatasetFromFiles, type ImageFile, type ImageTransformOptions } from './image-files.js';

/**
 * Your own images, laid out as torchvision's `ImageFolder` expects: one folder per class under a
 * root, PNG and JPEG files of any size inside (sub-folders included), class names sorted to give
 * the labels. Files with other extensions and hidden files are skipped; a class folder without a
 * single image is an error, as in torchvision.
 */

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Every image file below `dir`, in name order, depth first. */
function imageFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return imageFilesIn(path);
      return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(entry.name).toLowerCase()) ? [path] : [];
    });
}

/** The class folders of `root` (sorted) and their image files. */
export function listImageFolder(root: string): { classNames: string[]; files: { className: string; path: string }[] } {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`image folder ${root}: not a directory`);
  const classNames = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  if (classNames.length === 0) throw new Error(`image folder ${root}: no class folders (expected ${root}/<class>/<image>.png|jpg)`);
  const files = classNames.flatMap((className) => {
    const paths = imageFilesIn(join(root, className));
    if (paths.length === 0) throw new Error(`image folder ${root}: class folder '${className}' holds no ${IMAGE_EXTENSIONS.join('/')} file`);
    return paths.map((path) => ({ className, path }));
  });
  return { classNames, files };
}

const readImageFiles = (files: { className: string; path: string }[]): ImageFile[] =>
  files.map(({ className, path }) => ({ className, source: relative(process.cwd(), path) || path, bytes: readFileSync(path) }));

/**
 * Load a folder of class folders as one dataset, every image resized and centre-cropped to
 * `size` (see `ImageTransformOptions`).
 *
 * @example
 *   const pets = loadImageFolder('photos/', { size: 64 }); // photos/cat/*.jpg, photos/dog/*.png
 *   pets.classNames; // ['cat', 'dog']
 */
export function loadImageFolder(root: string, options: ImageTransformOptions & { classNames?: readonly string[] } = {}): ImageDataset {
  const { classNames, files } = listImageFolder(root);
  const wanted = options.classNames ?? classNames;
  const unknown = classNames.filter((name) => !wanted.includes(name));
  if (unknown.length > 0) throw new Error(`image folder ${root}: class folder(s) ${unknown.join(', ')} are not among the training classes ${wanted.join(', ')}`);
  return imageDatasetFromFiles(readImageFiles(files), { ...options, classNames: wanted });
}

/** Every fifth image of a class (by name order) is held out as its test set when there is no test folder. */
const HELD_OUT_EVERY = 5;

/** The training classes of a dataset folder (its train/ folder's class folders, or its own), sorted. */
export function imageFolderClassNames(dir: string): string[] {
  const trainDir = join(dir, 'train');
  return listImageFolder(existsSync(trainDir) ? trainDir : dir).classNames;
}

/**
 * A split of a dataset folder: `dir/train` and `dir/test` (or `dir/val`) when they exist, each a
 * folder of class folders, with labels from the training classes; otherwise `dir` itself holds
 * the class folders and, per class in name order, every fifth image is the test set (20 %) and
 * the rest the training set — a fixed rule, so no seed is needed to get the same split again.
 */
export function loadImageFolderSplit(dir: string, split: Split, options: ImageTransformOptions = {}): ImageDataset {
  const trainDir = join(dir, 'train');
  if (existsSync(trainDir)) {
    const classNames = imageFolderClassNames(dir);
    if (split === 'train') return loadImageFolder(trainDir, { ...options, classNames });
    const testDir = ['test', 'val'].map((name) => join(dir, name)).find((path) => existsSync(path));
    if (!testDir) throw new Error(`image folder ${dir}: has train/ but neither test/ nor val/`);
    return loadImageFolder(testDir, { ...options, classNames });
  }
  const { classNames, files } = listImageFolder(dir);
  const position = new Map<string, number>();
  const chosen = files.filter(({ className }) => {
    const k = position.get(className) ?? 0;
    position.set(className, k + 1);
    return (k % HELD_OUT_EVERY === HELD_OUT_EVERY - 1) === (split === 'test');
  });
  return imageDatasetFromFiles(readImageFiles(chosen), { ...options, classNames });
}
