import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, ImageFormatError } from '../../src/data/image-decode.js';
import { imageDatasetFromFiles } from '../../src/data/image-files.js';
import { loadImageFolder, loadImageFolderSplit } from '../../src/data/image-folder.js';
import { centerCrop, resizeImage, toChannels } from '../../src/data/image-resize.js';
import { makeImageFolder } from '../helpers/image-folder.js';

/** PIL's numbers for the same inputs: scripts/fixtures/make_image_fixtures.py. */
interface PilFixture {
  input: { width: number; height: number; data: number[] };
  resized: { width: number; height: number; data: number[] }[];
  grey: number[];
  jpegs: Record<string, number[]>;
}
const fixtures = join(import.meta.dirname, 'fixtures');
const pil = JSON.parse(readFileSync(join(fixtures, 'pil-images.json'), 'utf8')) as PilFixture;
const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

const scratch = mkdtempSync(join(tmpdir(), 'skiplab-image-folder-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('decoding and resizing as torchvision on PIL images', () => {
  const input = { ...pil.input, channels: 3, data: Uint8Array.from(pil.input.data) };

  it('resizes (shrinking with antialiasing, and enlarging) within 1 of PIL bilinear', () => {
    for (const expected of pil.resized) {
      const ours = resizeImage(input, expected.height, expected.width);
      expect(maxDifference(ours.data, expected.data), `${expected.width}x${expected.height}`).toBeLessThanOrEqual(1);
    }
  });

  it("converts to grey exactly as PIL's convert('L'), and crops at torchvision's centre", () => {
    expect(Array.from(toChannels(input, 1).data)).toEqual(pil.grey);
    const crop = centerCrop(input, 4, 6);
    // (13 - 4) / 2 = 4.5 → 4 and (17 - 6) / 2 = 5.5 → 6: Python rounds halves to even.
    expect(Array.from(crop.data.subarray(0, 3))).toEqual(pil.input.data.slice((4 * 17 + 6) * 3, (4 * 17 + 6) * 3 + 3));
  });

  it('decodes progressive colour and baseline grey JPEGs written by libjpeg within 2 of PIL', () => {
    for (const [name, expected] of Object.entries(pil.jpegs)) {
      const image = decodeImage(readFileSync(join(fixtures, name)), name);
      expect([image.width, image.height, image.channels], name).toEqual([24, 16, 3]);
      expect(maxDifference(image.data, expected), name).toBeLessThanOrEqual(2);
    }
  });

  it('names the file when it is neither PNG nor JPEG, or a cut-off JPEG', () => {
    expect(() => decodeImage(new TextEncoder().encode('GIF89a'), 'cats/x.gif')).toThrow(ImageFormatError);
    expect(() => decodeImage(new TextEncoder().encode('GIF89a'), 'cats/x.gif')).toThrow(/^cats\/x\.gif: not a PNG or JPEG file \(it starts with bytes 47 49 46 38\)/);
    const jpeg = readFileSync(join(fixtures, 'smooth-progressive.jpg'));
    expect(() => decodeImage(jpeg.subarray(0, 300), 'cut.jpg')).toThrow(/^JPEG cut\.jpg: /);
  });
});

describe('image folders', () => {
  const root = join(scratch, 'flat');
  makeImageFolder(root, 10);

  it('loads class folders of PNG and JPEG files of any size, torchvision-style', () => {
    const data = loadImageFolder(root, { size: 16 });
    expect(data.classNames).toEqual(['left', 'right']);
    expect([data.count, data.channels, data.height, data.width]).toEqual([20, 3, 16, 16]);
    expect(Array.from(data.labels)).toEqual([...Array(10).fill(0), ...Array(10).fill(1)]);
    // Every image kept its class's look through decoding and resizing: left half brighter for 'left'.
    for (let n = 0; n < data.count; n++) {
      const image = data.images.subarray(n * 3 * 256, n * 3 * 256 + 256); // red channel (16, 16)
      let left = 0, right = 0;
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) (x < 8 ? (left += image[y * 16 + x]!) : (right += image[y * 16 + x]!));
      expect(left > right, `image ${n}`).toBe(data.labels[n] === 0);
    }
    expect(loadImageFolder(root, { size: [8, 12], channels: 1 }).images.length).toBe(20 * 8 * 12);
  });

  it('splits a flat folder by a fixed rule, or uses train/ and test/ when they exist', () => {
    const train = loadImageFolderSplit(root, 'train', { size: 8 });
    const test = loadImageFolderSplit(root, 'test', { size: 8 });
    expect([train.count, test.count]).toEqual([16, 4]);
    expect(loadImageFolderSplit(root, 'test', { size: 8 }).images).toEqual(test.images);
    const split = join(scratch, 'split');
    makeImageFolder(join(split, 'train'), 4);
    makeImageFolder(join(split, 'val'), 2);
    rmSync(join(split, 'val', 'left'), { recursive: true });
    const val = loadImageFolderSplit(split, 'test', { size: 8 });
    // val/ has only 'right': its label is still 1, the training index.
    expect([val.count, Array.from(val.labels)]).toEqual([2, [1, 1]]);
    expect(val.classNames).toEqual(['left', 'right']);
  });

  it('names what is wrong: an empty class, a broken file, a class unknown to training', () => {
    const bad = join(scratch, 'bad');
    mkdirSync(join(bad, 'empty'), { recursive: true });
    mkdirSync(join(bad, 'cats'), { recursive: true });
    writeFileSync(join(bad, 'cats', 'a.png'), 'not a png');
    expect(() => loadImageFolder(bad)).toThrow(/class folder 'empty' holds no \.png\/\.jpg\/\.jpeg file/);
    rmSync(join(bad, 'empty'), { recursive: true });
    expect(() => loadImageFolder(bad)).toThrow(/cats\/a\.png: not a PNG or JPEG file/);
    expect(() => imageDatasetFromFiles([{ className: 'dog', source: 'd.png', bytes: new Uint8Array() }], { classNames: ['cat'] }))
      .toThrow(/d\.png is of class 'dog', which is not one of cat/);
    expect(() => loadImageFolder(root, { size: 16, resize: 8 })).toThrow(/resize 8 is smaller than the 16x16 crop/);
  });
});
