import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../util/errors.js';

/**
 * The idx format of the MNIST distribution (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * two zero bytes, a type byte, the number of dimensions, each dimension as a big-endian uint32,
 * then the values row-major. MNIST uses only unsigned bytes (type 0x08), so that is what this
 * parser returns; other types are recognised and rejected by name.
 */

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxArray {
  shape: number[];
  /** The values, a view into the parsed bytes (no copy). */
  data: Uint8Array;
}

export class IdxFormatError extends DataError {
  override name = 'IdxFormatError';
}

/** Parse idx bytes (gzip-compressed or not); `source` is named in every error. */
export function parseIdx(input: Uint8Array, source: string): IdxArray {
  const fail = (problem: string): never => {
    throw new IdxFormatError(`idx ${source}: ${problem}`);
  };
  // The files are often distributed as .gz; the gzip magic is 1f 8b.
  const gzipped = input.length >= 2 && input[0] === 0x1f && input[1] === 0x8b;
  const unpacked = gzipped ? gunzipSync(input) : input;
  const bytes = new Uint8Array(unpacked.buffer, unpacked.byteOffset, unpacked.length); // a plain view, not a Buffer
  if (bytes.length < 4) fail(`file is ${bytes.length} bytes, too short for the 4-byte idx magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`magic number starts with ${bytes[0]}, ${bytes[1]} instead of 0, 0: not an idx file`);
  const type = bytes[2]!;
  const rank = bytes[3]!;
  if (!(type in TYPE_NAMES)) fail(`unknown element type 0x${type.toString(16)}`);
  if (type !== 0x08) fail(`element type 0x${type.toString(16)} (${TYPE_NAMES[type]}) is not supported; skiplab reads unsigned-byte idx files`);
  if (rank === 0) fail('has 0 dimensions');
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) fail(`file is ${bytes.length} bytes, too short for the header of ${rank} dimensions (${headerLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual < expected) fail(`truncated: shape [${shape.join(', ')}] needs ${expected} data bytes, the file has ${actual}`);
  if (actual > expected) fail(`${actual - expected} unexpected bytes after the data of shape [${shape.join(', ')}]`);
  return { shape, data: bytes.subarray(headerLength) };
}

/** Read and parse an idx file. */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    const buffer = readFileSync(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length); // a plain view, not a Buffer
  } catch (error) {
    throw new IdxFormatError(`idx ${path}: cannot read the file (${(error as Error).message})`);
  }
  return parseIdx(bytes, path);
}
