/**
 * The element types of the safetensors format and how each maps onto skiplab's two storage types.
 * Floating types widen (or, for F64, narrow) to float32; integer and boolean types become int32
 * when every value fits, and decoding stops with an error naming the element when one does not.
 * Everything here reads little-endian bytes, which is what the format prescribes.
 */

/** Every dtype name the safetensors format defines (huggingface/safetensors, `Dtype`). */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64',
  'F16', 'BF16', 'F32', 'F64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64',
] as const;

export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The dtypes skiplab can read, with their size in bytes and the storage they decode to. */
export const READABLE_DTYPES = {
  BOOL: { bytes: 1, storage: 'int32' },
  U8: { bytes: 1, storage: 'int32' },
  I8: { bytes: 1, storage: 'int32' },
  I16: { bytes: 2, storage: 'int32' },
  U16: { bytes: 2, storage: 'int32' },
  I32: { bytes: 4, storage: 'int32' },
  U32: { bytes: 4, storage: 'int32' },
  I64: { bytes: 8, storage: 'int32' },
  U64: { bytes: 8, storage: 'int32' },
  F16: { bytes: 2, storage: 'float32' },
  BF16: { bytes: 2, storage: 'float32' },
  F32: { bytes: 4, storage: 'float32' },
  F64: { bytes: 8, storage: 'float32' },
  F8_E5M2: { bytes: 1, storage: 'float32' },
  F8_E4M3: { bytes: 1, storage: 'float32' },
  F8_E8M0: { bytes: 1, storage: 'float32' },
} as const satisfies Record<string, { bytes: number; storage: 'float32' | 'int32' }>;

export type ReadableDtype = keyof typeof READABLE_DTYPES;

/** Why a defined dtype cannot be read, for the error message. */
export const UNREADABLE_REASONS: Record<Exclude<SafetensorsDtype, ReadableDtype>, string> = {
  F4: 'packed 4-bit floats have no byte-addressable layout skiplab reads',
  F6_E2M3: 'packed 6-bit floats have no byte-addressable layout skiplab reads',
  F6_E3M2: 'packed 6-bit floats have no byte-addressable layout skiplab reads',
  C64: 'complex numbers have no float32/int32 equivalent',
};

export function isReadableDtype(dtype: string): dtype is ReadableDtype {
  return Object.prototype.hasOwnProperty.call(READABLE_DTYPES, dtype);
}

export function isDefinedDtype(dtype: string): dtype is SafetensorsDtype {
  return (SAFETENSORS_DTYPES as readonly string[]).includes(dtype);
}

/** Thrown by a decoder when a value has no exact int32 (or finite float32) equivalent. */
export class ValueRangeError extends Error {}

const INT32_MAX = 0x7fffffff;

/**
 * Decode `count` little-endian elements of `dtype` from `bytes` (exactly count * size bytes) into
 * `out`. `out` is a Float32Array for floating dtypes and an Int32Array otherwise.
 */
export function decodeElements(dtype: ReadableDtype, bytes: Uint8Array, out: Float32Array | Int32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  switch (dtype) {
    case 'F32':
    case 'I32':
      // Same width and bit pattern as our storage on a little-endian host: a straight byte copy.
      new Uint8Array(out.buffer, out.byteOffset, n * 4).set(bytes);
      return;
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        const v = bytes[i]!;
        if (v > 1) throw new ValueRangeError(`element ${i} has byte value ${v}, but a BOOL must be 0 or 1`);
        out[i] = v;
      }
      return;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      return;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return;
    case 'U32':
      for (let i = 0; i < n; i++) {
        const v = view.getUint32(4 * i, true);
        if (v > INT32_MAX) throw new ValueRangeError(`element ${i} = ${v} does not fit in int32`);
        out[i] = v;
      }
      return;
    case 'I64':
    case 'U64':
      for (let i = 0; i < n; i++) {
        const low = view.getInt32(8 * i, true);
        const high = view.getInt32(8 * i + 4, true);
        // An int64 fits in int32 exactly when its high word is the sign extension of the low word;
        // a uint64 additionally needs a non-negative low word.
        const fits = dtype === 'I64' ? high === (low >> 31) : high === 0 && low >= 0;
        if (!fits) {
          const value = dtype === 'I64' ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true);
          throw new ValueRangeError(`element ${i} = ${value} does not fit in int32`);
        }
        out[i] = low;
      }
      return;
    case 'F64':
      for (let i = 0; i < n; i++) {
        const v = view.getFloat64(8 * i, true);
        const narrowed = Math.fround(v);
        if (Number.isFinite(v) && !Number.isFinite(narrowed)) {
          throw new ValueRangeError(`element ${i} = ${v} overflows float32`);
        }
        out[i] = narrowed;
      }
      return;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return;
    case 'BF16': {
      // bfloat16 is the top half of a float32 (same sign and exponent bits).
      const bits = new Uint32Array(1);
      const asFloat = new Float32Array(bits.buffer);
      for (let i = 0; i < n; i++) {
        bits[0] = view.getUint16(2 * i, true) << 16;
        out[i] = asFloat[0]!;
      }
      return;
    }
    case 'F8_E5M2':
      // E5M2 is the top byte of an IEEE half (1 sign, 5 exponent, 2 mantissa bits).
      for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes[i]! << 8);
      return;
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) out[i] = e4m3ToFloat(bytes[i]!);
      return;
    case 'F8_E8M0':
      // An exponent-only scale 2^(e-127) (OCP microscaling spec); 0xff is NaN.
      for (let i = 0; i < n; i++) {
        const e = bytes[i]!;
        out[i] = e === 0xff ? NaN : Math.pow(2, e - 127);
      }
      return;
  }
}

/** IEEE 754 binary16 bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal: m / 2^10 * 2^-14
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * OCP FP8 E4M3 ("E4M3FN", as in PyTorch's float8_e4m3fn): bias 7, no infinities, and only
 * S.1111.111 is NaN, so the largest finite value is 448.
 */
export function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exponent = (b >> 3) & 0xf;
  const mantissa = b & 0x7;
  if (exponent === 0xf && mantissa === 0x7) return NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9; // subnormal: m / 8 * 2^-6
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}
