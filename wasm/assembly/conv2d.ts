// im2col / col2im for convolution as GEMM (Chellapilla et al. 2006, Caffe's layout): the
// receptive fields of `channels` input planes are unrolled into cols (channels·KH·KW, OH·OW).
// The GEMMs themselves run in gemm.ts; src/backend/wasm/conv2d.ts drives the loops.

/** First output column whose input column ow·stride + shift is ≥ 0. */
// @ts-ignore: decorator
@inline
function validLow(shift: i32, stride: i32, outWidth: i32): i32 {
  return shift >= 0 ? 0 : min(outWidth, (-shift + stride - 1) / stride);
}

/** One past the last output column whose input column ow·stride + shift is < width. */
// @ts-ignore: decorator
@inline
function validHigh(low: i32, shift: i32, stride: i32, width: i32, outWidth: i32): i32 {
  if (width - shift <= 0) return low;
  return min(outWidth, max(low, (width - shift + stride - 1) / stride));
}

export function im2col(
  x: usize, channels: i32, height: i32, width: i32, kernelHeight: i32, kernelWidth: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
  outHeight: i32, outWidth: i32, cols: usize,
): void {
  const plane = <usize>(height * width) << 2;
  const rowBytes = <usize>width << 2;
  const outRowBytes = <usize>outWidth << 2;
  // Stride 1 with rows as wide as the input's ('same' padding, the 3×3 convolutions of every
  // ResNet): a row of cols is its input row shifted, so all rows of one (c, i, j) are one shifted
  // run of the plane, copied at once and then cleared where a row's padding wrapped around.
  const sameRows = strideH == 1 && strideW == 1 && outWidth == width;
  let dst = cols;
  for (let c = 0; c < channels; c++) {
    const xPlane = x + <usize>c * plane;
    for (let i = 0; i < kernelHeight; i++) {
      const rowShift = i * dilationH - padH;
      for (let j = 0; j < kernelWidth; j++) {
        const colShift = j * dilationW - padW;
        const lo = validLow(colShift, strideW, outWidth);
        const hi = validHigh(lo, colShift, strideW, width, outWidth);
        if (sameRows && lo < hi) {
          shiftedRows(xPlane, height, width, outHeight, rowShift, colShift, lo, hi, dst);
          dst += <usize>outHeight * outRowBytes;
          continue;
        }
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) {
            zeroFloats(dst, 0, outWidth);
          } else {
            zeroFloats(dst, 0, lo);
            // colShift may be negative: form the address from the first valid column.
            const src = xPlane + <usize>ih * rowBytes;
            if (strideW == 1) {
              copyFloats(dst + (<usize>lo << 2), src + (<usize>(lo + colShift) << 2), hi - lo);
            } else {
              for (let ow = lo; ow < hi; ow++) {
                store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * strideW + colShift) << 2)));
              }
            }
            zeroFloats(dst, hi, outWidth);
          }
          dst += outRowBytes;
        }
      }
    }
  }
}

/**
 * The outHeight rows (of `width` floats) of one (c, i, j) row block of cols when stride is 1 and
 * rows keep their width: cols[oh, ow] = x[oh + rowShift, ow + colShift] where both lie inside
 * the plane, else 0; columns [lo, hi) are the ones whose input column lies inside.
 */
function shiftedRows(
  xPlane: usize, height: i32, width: i32, outHeight: i32, rowShift: i32, colShift: i32, lo: i32, hi: i32, dst: usize,
): void {
  const first = min(outHeight, max(0, -rowShift));
  const end = max(first, min(outHeight, height - rowShift));
  zeroFloats(dst, 0, first * width);
  zeroFloats(dst, end * width, outHeight * width);
  if (first == end) return;
  // Flat positions first·width + lo … (end − 1)·width + hi − 1, whose sources all lie in the plane.
  const from = first * width + lo;
  const to = (end - 1) * width + hi;
  const shift = rowShift * width + colShift;
  copyFloats(dst + (<usize>from << 2), xPlane + (<usize>(from + shift) << 2), to - from);
  zeroFloats(dst, first * width, from);
  zeroFloats(dst, to, end * width);
  // Between two rows the run carried the wrapped-around neighbours of the padding: clear them.
  if (lo > 0 || hi < width) {
    for (let oh = first; oh < end - 1; oh++) zeroFloats(dst, oh * width + hi, (oh + 1) * width + lo);
  }
}

// The rows im2col moves are short (an output row, often under 32 floats): inline vector loops
// beat memory.copy and memory.fill there, which engines run as calls out of the compiled code.

/** to[0..n) = from[0..n), floats; the ranges do not overlap. */
// @ts-ignore: decorator
@inline
function copyFloats(to: usize, from: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(to + (<usize>k << 2), v128.load(from + (<usize>k << 2)));
  for (; k < n; k++) store<f32>(to + (<usize>k << 2), load<f32>(from + (<usize>k << 2)));
}

/** row[first..end) = 0, floats. */
// @ts-ignore: decorator
@inline
function zeroFloats(row: usize, first: i32, end: i32): void {
  let k = first;
  for (; k + 4 <= end; k += 4) v128.store(row + (<usize>k << 2), i32x4.splat(0));
  for (; k < end; k++) store<f32>(row + (<usize>k << 2), 0);
}

/** dx planes += the scatter of cols: the adjoint of im2col (overlapping windows add up). */
export function col2im(
  cols: usize, channels: i32, height: i32, width: i32, kernelHeight: i32, kernelWidth: i32,
  strideH: i32, strideW: i32, padH: i32, padW: i32, dilationH: i32, dilationW: i32,
  outHeight: i32, outWidth: i32, dx: usize,
): void {
  const plane = <usize>(height * width) << 2;
  const rowBytes = <usize>width << 2;
  const outRowBytes = <usize>outWidth << 2;
  let src = cols;
  for (let c = 0; c < channels; c++) {
    const dxPlane = dx + <usize>c * plane;
    for (let i = 0; i < kernelHeight; i++) {
      const rowShift = i * dilationH - padH;
      for (let j = 0; j < kernelWidth; j++) {
        const colShift = j * dilationW - padW;
        const lo = validLow(colShift, strideW, outWidth);
        const hi = validHigh(lo, colShift, strideW, width, outWidth);
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideH + rowShift;
          if (ih >= 0 && ih < height) {
            const row = dxPlane + <usize>ih * rowBytes;
            if (strideW == 1) {
              let ow = lo;
              for (; ow + 4 <= hi; ow += 4) {
                const d = row + (<usize>(ow + colShift) << 2);
                v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>ow << 2))));
              }
              for (; ow < hi; ow++) {
                const d = row + (<usize>(ow + colShift) << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
              }
            } else {
              for (let ow = lo; ow < hi; ow++) {
                const d = row + (<usize>(ow * strideW + colShift) << 2);
                store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
              }
            }
          }
          src += outRowBytes;
        }
      }
    }
  }
}

/** out (N, O, S) += bias (O) broadcast over the batch and the S spatial positions. */
export function addChannelBias(out: usize, batch: i32, channels: i32, spatial: i32, bias: usize): void {
  let p = out;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const b = load<f32>(bias + (<usize>c << 2));
      const vb = f32x4.splat(b);
      let s = 0;
      for (; s + 4 <= spatial; s += 4) {
        const q = p + (<usize>s << 2);
        v128.store(q, f32x4.add(v128.load(q), vb));
      }
      for (; s < spatial; s++) {
        const q = p + (<usize>s << 2);
        store<f32>(q, load<f32>(q) + b);
      }
      p += <usize>spatial << 2;
    }
  }
}
