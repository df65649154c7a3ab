import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/loader.js';
import { loadSegmentationFolder } from '../../src/data/segmentation-folder.js';
import { encodePng } from './png-writer.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-segfolder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder pair with `count` RGB images (pixel = (i, y, x, c) pattern) and palette masks (class = (x + y + i) % 3). */
function writeFolders(name: string, count: number, options: { maskSuffix?: string } = {}) {
  const imagesDir = join(root, name, 'images');
  const masksDir = join(root, name, 'masks');
  mkdirSync(imagesDir, { recursive: true });
  mkdirSync(masksDir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const rgb: number[] = [];
    const classes: number[] = [];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) {
      rgb.push(10 * i + x, 100 + y, 200 + i);
      classes.push((x + y + i) % 3);
    }
    writeFileSync(join(imagesDir, `img${i}.png`), encodePng({ width: 4, height: 3, colorType: 2, depth: 8, samples: rgb, filters: [1, 4] }));
    writeFileSync(join(masksDir, `img${i}${options.maskSuffix ?? ''}.png`), encodePng({ width: 4, height: 3, colorType: 3, depth: 8, samples: classes, palette: [0, 0, 0, 128, 0, 0, 0, 128, 0] }));
  }
  return { imagesDir, masksDir };
}

describe('image + mask folders', () => {
  it('reads images as (C, H, W) and palette masks as class indices, in file-name order', () => {
    const { imagesDir, masksDir } = writeFolders('basic', 3);
    const set = loadSegmentationFolder({ imagesDir, masksDir });
    expect([set.count, set.channels, set.height, set.width, set.numClasses]).toEqual([3, 3, 3, 4, 3]);
    // Image 1, red plane, row 0: 10, 11, 12, 13; green plane row 2: 102 x4; blue: 201.
    const image1 = set.image(1);
    expect(Array.from(image1.subarray(0, 4))).toEqual([10, 11, 12, 13]);
    expect(Array.from(image1.subarray(12 + 8, 12 + 12))).toEqual([102, 102, 102, 102]);
    expect(image1[24]).toBe(201);
    expect(Array.from(set.masks!.subarray(12, 16))).toEqual([1, 2, 0, 1]);
    const { x, y } = new DataLoader(set, { batchSize: 2 }).next();
    expect(x.shape).toEqual([2, 3, 3, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
  });

  it('converts to one channel with BT.601 luma and honours a mask suffix', () => {
    const { imagesDir, masksDir } = writeFolders('suffix', 1, { maskSuffix: '_mask' });
    const set = loadSegmentationFolder({ imagesDir, masksDir, channels: 1, maskSuffix: '_mask' });
    expect(set.channels).toBe(1);
    expect(set.images[0]).toBe(Math.round(0.299 * 0 + 0.587 * 100 + 0.114 * 200));
  });

  it('names the missing mask, a size mismatch, an out-of-range class and a colour mask', () => {
    const { imagesDir, masksDir } = writeFolders('errors', 2);
    rmSync(join(masksDir, 'img1.png'));
    expect(() => loadSegmentationFolder({ imagesDir, masksDir })).toThrow(new RegExp(`image .*img1\\.png has no mask; expected .*masks/img1\\.png`));
    writeFileSync(join(masksDir, 'img1.png'), encodePng({ width: 2, height: 2, colorType: 0, depth: 8, samples: [0, 0, 0, 0] }));
    expect(() => loadSegmentationFolder({ imagesDir, masksDir })).toThrow(/mask .*img1\.png is 2x2, but its image is 4x3/);
    writeFileSync(join(masksDir, 'img1.png'), encodePng({ width: 4, height: 3, colorType: 2, depth: 8, samples: new Array(36).fill(0) }));
    expect(() => loadSegmentationFolder({ imagesDir, masksDir })).toThrow(/img1\.png is a colour image; masks must hold class indices/);
    expect(() => loadSegmentationFolder({ imagesDir, masksDir, numClasses: 2 })).toThrow(/img0\.png has class 2 at pixel \(0, 2\), but numClasses is 2/);
    expect(() => loadSegmentationFolder({ imagesDir: join(root, 'nope'), masksDir })).toThrow(/imagesDir .*nope is not a directory/);
  });
});
