import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { toChannels } from '../../src/data/image-resize.js';
import { encodePng } from '../data/png-writer.js';

/** A w×h RGB picture whose left half is bright for class 'left' and right half for 'right', plus noise. */
export function picture(className: 'left' | 'right', width: number, height: number, seed: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bright = (x < width / 2) === (className === 'left');
      const noise = ((x * 7 + y * 13 + seed * 31) % 40) - 20;
      data.fill(Math.max(0, Math.min(255, (bright ? 200 : 50) + noise)), (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return data;
}

/** Write class folders with PNGs (plain, interlaced, palette-free grey) and JPEGs of varied sizes. */
export function makeImageFolder(root: string, perClass: number): void {
  for (const className of ['left', 'right'] as const) {
    mkdirSync(join(root, className, 'nested'), { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const [width, height] = [[40, 30], [25, 50], [33, 33], [64, 48]][k % 4]!;
      const rgb = picture(className, width, height, k);
      const file = join(root, className, k % 3 === 2 ? 'nested' : '', `img${String(k).padStart(2, '0')}`);
      if (k % 3 === 0) writeFileSync(`${file}.jpg`, encodeJpeg({ width, height, data: rgbaOf(rgb) }, 90).data);
      else if (k % 3 === 1) writeFileSync(`${file}.png`, encodePng({ width, height, colorType: 2, depth: 8, samples: rgb, interlaced: k % 2 === 1 }));
      else writeFileSync(`${file}.PNG`, encodePng({ width, height, colorType: 0, depth: 8, samples: toChannels({ width, height, channels: 3, data: rgb }, 1).data }));
    }
    writeFileSync(join(root, className, 'notes.txt'), 'not an image');
  }
}
const rgbaOf = (rgb: Uint8Array): Uint8Array => {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) out.set([rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 255], 4 * p);
  return out;
};

