import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  loadSafetensorsSync,
  loadSafetensorsWithMetadata,
  saveSafetensors,
  saveSafetensorsSync,
  SafetensorsError,
} from '../../src/io/index.js';
import { intTensor, tensor } from '../../src/tensor/tensor.js';

const directory = mkdtempSync(join(tmpdir(), 'skiplab-safetensors-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A safetensors file from a raw header object (or string) and a data section, built by hand. */
function rawFile(header: unknown, data: Uint8Array, headerLengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

describe('safetensors round trip', () => {
  it('keeps names, shapes, dtypes, values and metadata through a file', async () => {
    const tensors = {
      'layer1.0.conv1.weight': tensor([1.5, -2.25, 3e-8, 3.4e38, -0, 7], [2, 1, 3, 1]),
      'bn1.num_batches_tracked': intTensor([123456789], []),
      labels: intTensor([-5, 0, 2147483647, -2147483648]),
      empty: tensor([], [0, 3]),
    };
    const path = join(directory, 'round-trip.safetensors');
    await saveSafetensors(path, tensors, { format: 'pt', note: 'skiplab test' });
    const { tensors: loaded, metadata } = await loadSafetensorsWithMetadata(path);
    expect(metadata).toEqual({ format: 'pt', note: 'skiplab test' });
    expect(Object.keys(loaded)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      expect(loaded[name]!.shape, name).toEqual(t.shape);
      expect(loaded[name]!.dtype, name).toBe(t.dtype);
      expect(Array.from(loaded[name]!.data), name).toEqual(Array.from(t.data));
    }
    expect(Object.is(loaded['layer1.0.conv1.weight']!.data[4], -0)).toBe(true);
  });

  it('writes the 8-byte length prefix, an 8-aligned JSON header and F32/I32 entries', () => {
    const bytes = encodeSafetensors({ a: tensor([1, 2, 3]), b: intTensor([4]) });
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(0);
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header).toEqual({
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'I32', shape: [1], data_offsets: [12, 16] },
    });
    expect(bytes.length).toBe(8 + headerLength + 16);
    expect(Array.from(new Float32Array(bytes.slice(8 + headerLength, 8 + headerLength + 12).buffer))).toEqual([1, 2, 3]);
  });

  it('sync variants agree with the async ones, and the write leaves no temporary file', async () => {
    const path = join(directory, 'sync.safetensors');
    saveSafetensorsSync(path, { w: tensor([0.5, 0.25], [1, 2]) });
    expect(Array.from(loadSafetensorsSync(path)['w']!.data)).toEqual([0.5, 0.25]);
    expect(Array.from((await loadSafetensors(path))['w']!.data)).toEqual([0.5, 0.25]);
    expect(readdirSync(directory).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an overwrite replaces the file in one step', () => {
    const path = join(directory, 'overwrite.safetensors');
    saveSafetensorsSync(path, { w: tensor([1, 2, 3]) });
    saveSafetensorsSync(path, { v: intTensor([9]) });
    expect(Object.keys(loadSafetensorsSync(path))).toEqual(['v']);
  });
});

describe('safetensors dtypes', () => {
  const load = (dtype: string, shape: number[], data: Uint8Array) =>
    decodeSafetensors(rawFile({ t: { dtype, shape, data_offsets: [0, data.length] } }, data), 'dtypes.safetensors').tensors['t']!;

  it('reads F16, BF16, F64 and FP8 as float32', () => {
    const f16 = load('F16', [4], bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001])));
    expect(f16.dtype).toBe('float32');
    expect(Array.from(f16.data)).toEqual([1, -2, 65504, 2 ** -24]);
    const bf16 = load('BF16', [2], bytesOf(new Uint16Array([0x3f80, 0xc0a0])));
    expect(Array.from(bf16.data)).toEqual([1, -5]);
    const f64 = load('F64', [2], bytesOf(new Float64Array([0.1, -3])));
    expect(Array.from(f64.data)).toEqual([Math.fround(0.1), -3]);
    expect(Array.from(load('F8_E4M3', [3], new Uint8Array([0x38, 0x7e, 0xb8])).data)).toEqual([1, 448, -1]);
    expect(Array.from(load('F8_E5M2', [2], new Uint8Array([0x3c, 0x7b])).data)).toEqual([1, 57344]);
  });

  it('reads integer and boolean dtypes as int32', () => {
    expect(Array.from(load('I64', [3], bytesOf(new BigInt64Array([-7n, 0n, 2147483647n]))).data)).toEqual([-7, 0, 2147483647]);
    expect(Array.from(load('U64', [1], bytesOf(new BigUint64Array([42n]))).data)).toEqual([42]);
    expect(Array.from(load('I16', [2], bytesOf(new Int16Array([-300, 300]))).data)).toEqual([-300, 300]);
    expect(Array.from(load('U16', [1], bytesOf(new Uint16Array([65535]))).data)).toEqual([65535]);
    expect(Array.from(load('I8', [2], new Uint8Array([0xff, 0x7f])).data)).toEqual([-1, 127]);
    expect(Array.from(load('U8', [2], new Uint8Array([255, 0])).data)).toEqual([255, 0]);
    const bool = load('BOOL', [3], new Uint8Array([1, 0, 1]));
    expect(bool.dtype).toBe('int32');
    expect(Array.from(bool.data)).toEqual([1, 0, 1]);
  });

  it('rejects integer values that do not fit int32, naming the tensor and element', () => {
    const data = bytesOf(new BigInt64Array([1n, 2n ** 40n]));
    expect(() => load('I64', [2], data)).toThrow(/dtypes\.safetensors: tensor 't' \(I64\): element 1 = 1099511627776 does not fit in int32/);
    expect(() => load('U32', [1], bytesOf(new Uint32Array([2 ** 31])))).toThrow(/element 0 = 2147483648 does not fit in int32/);
    expect(() => load('BOOL', [1], new Uint8Array([2]))).toThrow(/BOOL must be 0 or 1/);
    expect(() => load('F64', [1], bytesOf(new Float64Array([1e300])))).toThrow(/overflows float32/);
  });
});

describe('safetensors rejects malformed input', () => {
  const f32 = bytesOf(new Float32Array([1, 2, 3, 4]));
  const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
  const expectError = (bytes: Uint8Array, pattern: RegExp) => {
    let caught: unknown;
    try {
      decodeSafetensors(bytes, 'bad.safetensors');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SafetensorsError);
    expect((caught as Error).message).toMatch(/^safetensors bad\.safetensors: /);
    expect((caught as Error).message).toMatch(pattern);
  };

  it('accepts the well-formed baseline these cases break', () => {
    expect(Object.keys(decodeSafetensors(rawFile(good, f32)).tensors)).toEqual(['a', 'b']);
  });

  it('a file shorter than the length prefix', () => expectError(new Uint8Array(5), /5 bytes, shorter than the 8-byte header length prefix/));

  it('a header length beyond the end of the file', () => expectError(rawFile(good, f32, 10_000), /header length 10000 exceeds the file/));

  it('a header length beyond 2^32', () => {
    const bytes = rawFile(good, f32);
    new DataView(bytes.buffer).setUint32(4, 1, true);
    expectError(bytes, /exceeds the file/);
  });

  it('a header that is not JSON', () => expectError(rawFile('{"a": {dtype', f32), /header is not valid JSON/));

  it('a header that is not valid UTF-8', () => {
    const bytes = rawFile('{"a":1}', new Uint8Array());
    bytes[10] = 0xff;
    expectError(bytes, /not valid UTF-8/);
  });

  it('a header that is JSON but not an object', () => {
    expectError(rawFile('[1, 2]', f32), /header must be a JSON object, got an array/);
    expectError(rawFile('null', f32), /got null/);
  });

  it('an entry missing its fields', () => expectError(rawFile({ a: { dtype: 'F32' } }, f32), /tensor 'a': shape must be an array/));

  it('offsets out of range', () => {
    const header = { ...good, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } };
    expectError(rawFile(header, f32), /tensor 'b': data_offsets \[8, 24\] are out of range: the data section has 16 bytes/);
  });

  it('offsets that end before they begin', () => {
    expectError(rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32), /end before they begin/);
  });

  it('overlapping tensors', () => {
    const header = { a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    expectError(rawFile(header, f32), /tensor 'b' \[8, 16\] overlaps tensor 'a' \[0, 12\]/);
  });

  it('a gap between tensors', () => {
    const header = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    expectError(rawFile(header, f32), /gap of 4 unused bytes after tensor 'a'/);
  });

  it('trailing bytes after the last tensor', () => {
    expectError(rawFile({ a: good.a }, f32), /8 trailing bytes after the last tensor/);
  });

  it('an unknown dtype', () => {
    expectError(rawFile({ ...good, b: { dtype: 'Q4', shape: [2], data_offsets: [8, 16] } }, f32), /tensor 'b': unknown dtype 'Q4'/);
  });

  it('a defined dtype skiplab cannot represent', () => {
    expectError(rawFile({ ...good, b: { dtype: 'C64', shape: [1], data_offsets: [8, 16] } }, f32), /dtype C64 cannot be loaded/);
  });

  it('a shape that does not match the byte span', () => {
    const header = { ...good, b: { dtype: 'F32', shape: [3], data_offsets: [8, 16] } };
    expectError(rawFile(header, f32), /tensor 'b': shape \[3\] of F32 needs 12 bytes, but data_offsets \[8, 16\] span 8/);
  });

  it('truncated data', () => {
    const whole = rawFile(good, f32);
    expectError(whole.subarray(0, whole.length - 3), /tensor 'b': data_offsets \[8, 16\] are out of range: the data section has 13 bytes \(file truncated\?\)/);
  });

  it('metadata that is not a string map', () => {
    expectError(rawFile({ __metadata__: { epoch: 3 }, ...good }, f32), /'__metadata__' entry 'epoch' is 3, not a string/);
  });

  it('a malformed file on disk: the error names the path and nothing is returned', async () => {
    const path = join(directory, 'truncated.safetensors');
    const whole = encodeSafetensors({ w: tensor([1, 2, 3, 4]) });
    writeFileSync(path, whole.subarray(0, whole.length - 1));
    await expect(loadSafetensors(path)).rejects.toThrow(`safetensors ${path}: tensor 'w'`);
    expect(() => loadSafetensorsSync(join(directory, 'missing.safetensors'))).toThrow(/missing\.safetensors: cannot read the file/);
    expect(readFileSync(path).length).toBe(whole.length - 1);
  });

  it('refuses to write metadata that is not strings or a reserved tensor name', () => {
    expect(() => encodeSafetensors({ a: tensor([1]) }, { step: 5 as unknown as string })).toThrow(/metadata 'step' is a number/);
    expect(() => encodeSafetensors({ __metadata__: tensor([1]) })).toThrow(/cannot be a tensor name/);
  });
});
