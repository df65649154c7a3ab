// 2-D pooling over NCHW planes with PyTorch's window arithmetic (floor mode), the same as
// src/backend/ts/pool.ts: max treats padding as −∞, the first maximum wins, NaN propagates and
// argmax is the flat index into x; avg clips windows to the padded input.

export function maxPool2dForward(
  x: usize, planes: i32, height: i32, width: i32, outHeight: i32, outWidth: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
  out: usize, argmax: usize,
): void {
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      const rowStart = oh * strideH - padH;
      const rowEnd = min(rowStart + (kernelH - 1) * dilationH + 1, height);
      const row0 = rowStart >= 0 ? rowStart : rowStart + ((-rowStart + dilationH - 1) / dilationH) * dilationH;
      for (let ow = 0; ow < outWidth; ow++) {
        const colStart = ow * strideW - padW;
        const colEnd = min(colStart + (kernelW - 1) * dilationW + 1, width);
        const col0 = colStart >= 0 ? colStart : colStart + ((-colStart + dilationW - 1) / dilationW) * dilationW;
        let best: f32 = -Infinity;
        let bestIndex = base + min(row0, height - 1) * width + min(col0, width - 1);
        for (let ih = row0; ih < rowEnd; ih += dilationH) {
          const rowBase = base + ih * width;
          for (let iw = col0; iw < colEnd; iw += dilationW) {
            const v = load<f32>(x + (<usize>(rowBase + iw) << 2));
            if (v > best || v != v) {
              best = v;
              bestIndex = rowBase + iw;
            }
          }
        }
        store<f32>(out + (o << 2), best);
        store<i32>(argmax + (o << 2), bestIndex);
        o++;
      }
    }
  }
}

/** dx = 0, then dx[argmax[i]] += dy[i]. */
export function maxPool2dBackward(dy: usize, argmax: usize, n: i32, dx: usize, dxLength: i32): void {
  memory.fill(dx, 0, <usize>dxLength << 2);
  for (let i = 0; i < n; i++) {
    const j = <usize>load<i32>(argmax + (<usize>i << 2)) << 2;
    store<f32>(dx + j, load<f32>(dx + j) + load<f32>(dy + (<usize>i << 2)));
  }
}

/**
 * Average pooling, forward (backward = false: out[o] = window mean of x) or backward
 * (backward = true: x is dx, zeroed, and each window receives out[o] / divisor).
 * Adaptive pooling passes adaptive = true and ignores kernel/stride/padding.
 */
export function avgPool2d(
  x: usize, planes: i32, height: i32, width: i32, outHeight: i32, outWidth: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padH: i32, padW: i32,
  countIncludePad: bool, adaptive: bool, backward: bool, out: usize,
): void {
  if (backward) memory.fill(x, 0, <usize>(planes * height * width) << 2);
  if (!adaptive && kernelH == 1 && kernelW == 1 && padH == 0 && padW == 0) {
    subsample(x, planes, height, width, outHeight, outWidth, strideH, strideW, backward, out);
    return;
  }
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      let row0: i32, row1: i32, paddedRows: i32;
      if (adaptive) {
        row0 = (oh * height) / outHeight;
        row1 = ((oh + 1) * height + outHeight - 1) / outHeight;
        paddedRows = row1 - row0;
      } else {
        row0 = oh * strideH - padH;
        row1 = min(row0 + kernelH, height + padH);
        paddedRows = row1 - row0;
        row0 = max(row0, 0);
        row1 = min(row1, height);
      }
      for (let ow = 0; ow < outWidth; ow++) {
        let col0: i32, col1: i32, paddedCols: i32;
        if (adaptive) {
          col0 = (ow * width) / outWidth;
          col1 = ((ow + 1) * width + outWidth - 1) / outWidth;
          paddedCols = col1 - col0;
        } else {
          col0 = ow * strideW - padW;
          col1 = min(col0 + kernelW, width + padW);
          paddedCols = col1 - col0;
          col0 = max(col0, 0);
          col1 = min(col1, width);
        }
        const divisor = <f32>(countIncludePad && !adaptive ? paddedRows * paddedCols : (row1 - row0) * (col1 - col0));
        if (backward) {
          const g = load<f32>(out + (o << 2)) / divisor;
          for (let ih = row0; ih < row1; ih++) {
            const rowBase = base + ih * width;
            for (let iw = col0; iw < col1; iw++) {
              const q = x + (<usize>(rowBase + iw) << 2);
              store<f32>(q, load<f32>(q) + g);
            }
          }
        } else {
          let sum: f64 = 0;
          for (let ih = row0; ih < row1; ih++) {
            const rowBase = base + ih * width;
            for (let iw = col0; iw < col1; iw++) sum += <f64>load<f32>(x + (<usize>(rowBase + iw) << 2));
          }
          store<f32>(out + (o << 2), <f32>(sum / <f64>divisor));
        }
        o++;
      }
    }
  }
}

/**
 * Average pooling over a 1×1 window without padding (ResNet's option-A shortcut, x[:, :, ::s, ::s]):
 * each output is one input. The same values as the general loop (v / 1 is v; backward adds dy to
 * the zeroed dx as it does) at a fifth of its time, which goes on window bookkeeping and an f64
 * division per output.
 */
function subsample(
  x: usize, planes: i32, height: i32, width: i32, outHeight: i32, outWidth: i32,
  strideH: i32, strideW: i32, backward: bool, out: usize,
): void {
  const step = <usize>strideW << 2;
  let o = out;
  for (let plane = 0; plane < planes; plane++) {
    const base = x + (<usize>(plane * height * width) << 2);
    for (let oh = 0; oh < outHeight; oh++) {
      let q = base + (<usize>(oh * strideH * width) << 2);
      if (backward) {
        for (let ow = 0; ow < outWidth; ow++, q += step, o += 4) store<f32>(q, load<f32>(q) + load<f32>(o));
      } else {
        for (let ow = 0; ow < outWidth; ow++, q += step, o += 4) store<f32>(o, load<f32>(q));
      }
    }
  }
}
