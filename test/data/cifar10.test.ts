import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_FILES, loadCifar10 } from '../../src/data/cifar10.js';

const root = mkdtempSync(join(tmpdir(), 'skiplab-cifar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Records in the CIFAR-10 binary layout: label byte, then R, G, B planes of 32x32. */
function batch(records: { label: number; seed: number }[]): Uint8Array {
  const out = new Uint8Array(records.length * 3073);
  records.forEach(({ label, seed }, i) => {
    out[i * 3073] = label;
    for (let p = 0; p < 3072; p++) out[i * 3073 + 1 + p] = (seed * 31 + p * 7) & 0xff;
  });
  return out;
}

function writeDataset(dir: string): void {
  mkdirSync(dir, { recursive: true });
  CIFAR10_FILES.train.forEach((file, b) => writeFileSync(join(dir, file), batch([{ label: b, seed: 10 * b }, { label: 9 - b, seed: 10 * b + 1 }])));
  writeFileSync(join(dir, 'test_batch.bin'), batch([{ label: 3, seed: 99 }]));
}

describe('CIFAR-10 binary batches', () => {
  const dir = join(root, 'flat');
  writeDataset(dir);

  it('concatenates data_batch_1..5 for train, in order, as (3, 32, 32) images', () => {
    const train = loadCifar10(dir, 'train');
    expect([train.count, train.channels, train.height, train.width]).toEqual([10, 3, 32, 32]);
    expect(Array.from(train.labels)).toEqual([0, 9, 1, 8, 2, 7, 3, 6, 4, 5]);
    // Record 3 is the second of data_batch_2 (seed 11); its green plane starts at byte 1024.
    expect(train.images[3 * 3072 + 1024]).toBe((11 * 31 + 1024 * 7) & 0xff);
  });

  it('reads test_batch for test, also from a parent holding cifar-10-batches-bin/', () => {
    writeDataset(join(root, 'parent', 'cifar-10-batches-bin'));
    const test = loadCifar10(join(root, 'parent'), 'test');
    expect(test.count).toBe(1);
    expect(test.labels[0]).toBe(3);
    expect(test.images[5]).toBe((99 * 31 + 35) & 0xff);
  });

  it('a missing directory names what was expected there', () => {
    expect(() => loadCifar10(join(root, 'nowhere'), 'train')).toThrow(/nowhere does not exist; expected a directory with the CIFAR-10 binary version .*data_batch_1\.bin/);
  });

  it('missing batch files are listed', () => {
    const partial = join(root, 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'data_batch_1.bin'), batch([{ label: 1, seed: 1 }]));
    expect(() => loadCifar10(partial, 'train')).toThrow(/lacks data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin for the train split/);
    expect(() => loadCifar10(partial, 'test')).toThrow(/lacks test_batch\.bin for the test split/);
  });

  it('a truncated batch or a label above 9 is rejected, naming the file', () => {
    const bad = join(root, 'bad');
    writeDataset(bad);
    writeFileSync(join(bad, 'test_batch.bin'), batch([{ label: 1, seed: 1 }]).subarray(0, 3000));
    expect(() => loadCifar10(bad, 'test')).toThrow(/test_batch\.bin: 3000 bytes is not a whole number of 3073-byte records/);
    writeFileSync(join(bad, 'test_batch.bin'), batch([{ label: 1, seed: 1 }, { label: 42, seed: 2 }]));
    expect(() => loadCifar10(bad, 'test')).toThrow(/test_batch\.bin: record 1 has label 42/);
  });
});
