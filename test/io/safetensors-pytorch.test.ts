import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSafetensorsWithMetadataSync } from '../../src/io/safetensors.js';

// Written by the reference safetensors library (0.8.0) from PyTorch tensors:
// scripts/fixtures/make_safetensors_fixture.py.
const path = join(import.meta.dirname, 'fixtures', 'pytorch-dtypes.safetensors');

describe('safetensors written by PyTorch', () => {
  const { tensors, metadata } = loadSafetensorsWithMetadataSync(path);
  const values = (name: string) => Array.from(tensors[name]!.data);

  it('reads the metadata and every tensor name', () => {
    expect(metadata).toEqual({ format: 'pt', made_by: 'make_safetensors_fixture.py' });
    expect(Object.keys(tensors).sort()).toEqual(
      ['bf16', 'bn1.num_batches_tracked', 'bool', 'empty', 'f16', 'f32', 'f64', 'i16', 'i32', 'i64', 'i8', 'scalar', 'u8'],
    );
  });

  it('reads float dtypes as float32 with their shapes', () => {
    expect(tensors['f32']!.shape).toEqual([3, 4]);
    expect(values('f32')).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.25 - 1));
    expect(values('f16')).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0]);
    expect(Object.is(values('f16')[5], -0)).toBe(true);
    expect(values('bf16')).toEqual([1, -5, 3.140625, 2 ** 100]);
    expect(values('f64')).toEqual([0.1, -3, 1e-10].map(Math.fround));
    expect(tensors['scalar']!.shape).toEqual([]);
    expect(values('scalar')).toEqual([3.5]);
    expect(tensors['empty']!.shape).toEqual([0, 3]);
    for (const name of ['f32', 'f16', 'bf16', 'f64', 'scalar', 'empty']) expect(tensors[name]!.dtype, name).toBe('float32');
  });

  it('reads integer and boolean dtypes as int32', () => {
    expect(values('i64')).toEqual([-7, 0, 2147483647, -2147483648]);
    expect(tensors['i32']!.shape).toEqual([2, 3]);
    expect(values('i32')).toEqual([-3, -2, -1, 0, 1, 2]);
    expect(values('i16')).toEqual([-300, 300, 32767]);
    expect(values('i8')).toEqual([-128, 127, 0]);
    expect(values('u8')).toEqual([0, 255, 7]);
    expect(values('bool')).toEqual([1, 0, 1]);
    expect(values('bn1.num_batches_tracked')).toEqual([1234]);
    for (const name of ['i64', 'i32', 'i16', 'i8', 'u8', 'bool']) expect(tensors[name]!.dtype, name).toBe('int32');
  });
});
