import type { DecodedImage } from './image-decode.js';

/**
 * Resizing and cropping decoded images, as torchvision's `Resize(size)` then `CenterCrop(size)`
 * do on PIL images: bilinear interpolation with antialiasing when shrinking (PIL's resampling:
 * a triangle filter whose support grows with the scale factor, so every input pixel contributes),
 * separable, horizontal pass first. Values stay 0..255.
 */

/** One axis of the resampling: for each output index, the first input index and the weights. */
function axisWeights(inSize: number, outSize: number): { first: Int32Array; weights: Float32Array[] } {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const first = new Int32Array(outSize);
  const weights: Float32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize, Math.ceil(center + support));
    const w = new Float32Array(hi - lo);
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const distance = Math.abs((i + 0.5 - center) / support);
      w[i - lo] = Math.max(0, 1 - distance);
      total += w[i - lo]!;
    }
    for (let k = 0; k < w.length; k++) w[k]! /= total;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/** Resize to exactly (height, width). */
export function resizeImage(image: DecodedImage, height: number, width: number): DecodedImage {
  const { channels, data } = image;
  if (image.height === height && image.width === width) return image;
  const columns = axisWeights(image.width, width);
  const rows = axisWeights(image.height, height);
  // Horizontal pass: (inH, outW, C) in float, then vertical: (outH, outW, C) rounded to bytes.
  const wide = new Float32Array(image.height * width * channels);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      const w = columns.weights[x]!;
      const start = columns.first[x]!;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < w.length; k++) sum += w[k]! * data[(y * image.width + start + k) * channels + c]!;
        wide[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const w = rows.weights[y]!;
    const start = rows.first[y]!;
    for (let i = 0; i < width * channels; i++) {
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += w[k]! * wide[(start + k) * width * channels + i]!;
      out[y * width * channels + i] = Math.min(255, Math.max(0, Math.round(sum)));
    }
  }
  return { width, height, channels, data: out };
}

/** Resize so the shorter side is `shorter` (the other keeps the aspect ratio, rounded down as torchvision). */
export function resizeShorterSide(image: DecodedImage, shorter: number): DecodedImage {
  const { width, height } = image;
  if (width <= height) return resizeImage(image, Math.floor((shorter * height) / width), shorter);
  return resizeImage(image, shorter, Math.floor((shorter * width) / height));
}

/** Python's round(): halves go to the even neighbour, so offsets match torchvision's exactly. */
const roundHalfEven = (x: number): number => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

/** The central (height, width) window, offsets rounded as torchvision's CenterCrop does. */
export function centerCrop(image: DecodedImage, height: number, width: number): DecodedImage {
  if (height > image.height || width > image.width) {
    throw new Error(`centerCrop: a ${height}x${width} crop does not fit in a ${image.height}x${image.width} image`);
  }
  const top = roundHalfEven((image.height - height) / 2);
  const left = roundHalfEven((image.width - width) / 2);
  const { channels } = image;
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * channels;
    out.set(image.data.subarray(from, from + width * channels), y * width * channels);
  }
  return { width, height, channels, data: out };
}

/**
 * To 1 channel (ITU-R 601-2 luma, L = 0.299 R + 0.587 G + 0.114 B, as PIL's convert('L')) or 3
 * (grey repeated). Alpha is dropped, as PIL's convert('RGB') does.
 */
export function toChannels(image: DecodedImage, channels: 1 | 3): DecodedImage {
  const { width, height, data } = image;
  const from = image.channels;
  if (from === channels) return image;
  const pixels = width * height;
  const out = new Uint8Array(pixels * channels);
  const colour = from >= 3;
  for (let p = 0; p < pixels; p++) {
    const i = p * from;
    if (channels === 1) {
      out[p] = colour ? Math.round((data[i]! * 299 + data[i + 1]! * 587 + data[i + 2]! * 114) / 1000) : data[i]!;
    } else if (colour) {
      out.set(data.subarray(i, i + 3), p * 3);
    } else {
      out.fill(data[i]!, p * 3, p * 3 + 3);
    }
  }
  return { width, height, channels, data: out };
}
