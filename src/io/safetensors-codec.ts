import { empty, Tensor } from '../tensor/tensor.js';
import { CheckpointError } from '../util/errors.js';
import {
  decodeElements,
  isDefinedDtype,
  isReadableDtype,
  READABLE_DTYPES,
  SAFETENSORS_DTYPES,
  UNREADABLE_REASONS,
  ValueRangeError,
  type ReadableDtype,
} from './safetensors-dtypes.js';

/**
 * The safetensors format (huggingface/safetensors), in memory — no file system, so the browser can
 * use it too. Layout:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  UTF-8 JSON object: name -> { dtype, shape, data_offsets: [begin, end] }, plus an
 *              optional "__metadata__": { string: string }; may be padded with trailing spaces
 *   [rest]     the data section; offsets are relative to its start
 *
 * The reader is strict in the same places as the reference implementation: the tensors must tile
 * the data section exactly (no gaps, no overlaps, nothing past the end, nothing left over), and
 * every tensor's byte span must equal its element count times its dtype size. Any violation throws
 * a `SafetensorsError` naming the source and the problem; nothing is returned partially.
 */

export const METADATA_KEY = '__metadata__';

/** Header length cap, as in the reference implementation (guards against absurd allocations). */
const MAX_HEADER_BYTES = 100_000_000;

/** A safetensors file that cannot be read or written; the message names the file and what is wrong. */
export class SafetensorsError extends CheckpointError {
  override name = 'SafetensorsError';
}

export type SafetensorsMetadata = Record<string, string>;

/** A decoded safetensors file: tensors by name and the `__metadata__` strings (null when absent). */
export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: SafetensorsMetadata | null;
}

interface HeaderEntry {
  name: string;
  dtype: ReadableDtype;
  shape: number[];
  begin: number;
  end: number;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkHost(source: string): void {
  if (!littleEndianHost) throw new SafetensorsError(`safetensors ${source}: big-endian hosts are not supported`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Serialise tensors (float32 -> F32, int32 -> I32) and optional string metadata. Tensors are
 * stored in the order of `Object.keys(tensors)`; the header is space-padded so the data section
 * starts 8-byte aligned, as the reference writer does.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: SafetensorsMetadata | null): Uint8Array {
  const where = 'encode';
  checkHost(where);
  const header: Record<string, unknown> = {};
  if (metadata) {
    if (!isPlainObject(metadata)) throw new SafetensorsError(`safetensors ${where}: metadata must be an object of strings`);
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new SafetensorsError(`safetensors ${where}: metadata '${key}' is a ${typeof value}; safetensors metadata values must be strings`);
      }
    }
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  const parts: { tensor: Tensor; begin: number }[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name.length === 0 || name === METADATA_KEY) throw new SafetensorsError(`safetensors ${where}: '${name}' cannot be a tensor name`);
    if (!(tensor instanceof Tensor)) throw new SafetensorsError(`safetensors ${where}: '${name}' is not a Tensor`);
    const nbytes = tensor.data.byteLength;
    header[name] = { dtype: tensor.dtype === 'int32' ? 'I32' : 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + nbytes] };
    parts.push({ tensor, begin: offset });
    offset += nbytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  const dataStart = 8 + json.length;
  for (const { tensor, begin } of parts) {
    const d = tensor.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), dataStart + begin);
  }
  return out;
}

/** Parse and validate safetensors bytes; `source` (a file path) is named in every error. */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsContents {
  checkHost(source);
  const fail = (problem: string): never => {
    throw new SafetensorsError(`safetensors ${source}: ${problem}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const headerLength = prefix.getUint32(0, true) + prefix.getUint32(4, true) * 2 ** 32;
  const available = bytes.length - 8;
  if (headerLength > available) {
    fail(`header length ${headerLength} exceeds the file (${available} bytes follow the 8-byte prefix); the file is truncated or not safetensors`);
  }
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength < 2) fail(`header length ${headerLength} is too small to hold a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(parsed)) fail(`header must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : String(parsed === null ? 'null' : typeof parsed)}`);
  const header = parsed as Record<string, unknown>;

  const metadata = parseMetadata(header[METADATA_KEY], fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => parseEntry(name, value, dataLength, fail));
  checkTiling(entries, dataLength, fail);

  const tensors = Object.create(null) as Record<string, Tensor>;
  for (const entry of entries) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const storage = READABLE_DTYPES[entry.dtype].storage;
    const t = storage === 'float32' ? empty(entry.shape) : new Tensor(new Int32Array(size), entry.shape);
    try {
      decodeElements(entry.dtype, bytes.subarray(dataStart + entry.begin, dataStart + entry.end), t.data);
    } catch (error) {
      if (!(error instanceof ValueRangeError)) throw error;
      fail(`tensor '${entry.name}' (${entry.dtype}): ${error.message}, so it cannot be loaded as ${storage} without loss`);
    }
    tensors[entry.name] = t;
  }
  return { tensors, metadata };
}

function parseMetadata(value: unknown, fail: (problem: string) => never): SafetensorsMetadata | null {
  if (value === undefined) return null;
  if (!isPlainObject(value)) return fail(`'${METADATA_KEY}' must be an object of strings`);
  const metadata: SafetensorsMetadata = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`'${METADATA_KEY}' entry '${key}' is ${JSON.stringify(v)}, not a string`);
    metadata[key] = v as string;
  }
  return metadata;
}

function parseEntry(name: string, value: unknown, dataLength: number, fail: (problem: string) => never): HeaderEntry {
  const at = `tensor '${name}'`;
  if (!isPlainObject(value)) return fail(`${at}: header entry must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return fail(`${at}: dtype is missing or not a string`);
  if (!isDefinedDtype(dtype)) return fail(`${at}: unknown dtype '${dtype}' (safetensors defines ${SAFETENSORS_DTYPES.join(', ')})`);
  if (!isReadableDtype(dtype)) {
    return fail(`${at}: dtype ${dtype} cannot be loaded: ${UNREADABLE_REASONS[dtype as keyof typeof UNREADABLE_REASONS]}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${at}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return fail(`${at}: data_offsets must be [begin, end] with non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${at}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) {
    fail(`${at}: data_offsets [${begin}, ${end}] are out of range: the data section has ${dataLength} bytes (file truncated?)`);
  }
  const elementCount = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = elementCount * READABLE_DTYPES[dtype].bytes;
  if (end - begin !== expected) {
    fail(`${at}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The tensors must cover the data section exactly once, in any header order. */
function checkTiling(entries: HeaderEntry[], dataLength: number, fail: (problem: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: HeaderEntry | null = null;
  for (const entry of sorted) {
    if (entry.begin < position) {
      fail(`tensor '${entry.name}' [${entry.begin}, ${entry.end}] overlaps tensor '${previous!.name}' [${previous!.begin}, ${previous!.end}]`);
    }
    if (entry.begin > position) {
      const after = previous ? `after tensor '${previous.name}'` : 'at the start of the data section';
      fail(`gap of ${entry.begin - position} unused bytes ${after} (bytes ${position}..${entry.begin}, before tensor '${entry.name}')`);
    }
    position = entry.end;
    previous = entry;
  }
  if (position !== dataLength) {
    fail(`${dataLength - position} trailing bytes after the last tensor (the data section has ${dataLength} bytes, tensors cover ${position})`);
  }
}
