import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ImageSet } from './dataset.js';

/**
 * The compact on-disk cache of a converted dataset split, so the (slow) conversion from a
 * package's own format happens once per machine and later loads are one file read.
 *
 * Layout, little-endian:
 *   bytes 0..8    magic "SKLIMG01"
 *   8   u32       format version
 *   12  u32       count     16 u32 channels     20 u32 height     24 u32 width
 *   28  u32       fingerprint of the source (package files, split rule) — a stale cache is rebuilt
 *   32  u32       checksum of the payload
 *   36..64        zero
 *   64            labels (count bytes), then images (count * C * H * W bytes)
 *
 * A reader checks the magic, the version, the exact file length implied by the header, the
 * fingerprint and the checksum; any mismatch means "rebuild", never a wrong dataset.
 */

const MAGIC = 'SKLIMG01';
const FORMAT_VERSION = 1;
const HEADER_BYTES = 64;

export interface CacheOptions {
  /** Cache directory; default `$SKIPLAB_CACHE`, else `node_modules/.cache/skiplab`. */
  cacheDir?: string;
  /** Where one-line notices go (cache rebuilt, entries skipped); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** `$SKIPLAB_CACHE`, else `.cache/skiplab` inside the `node_modules` holding `packageDirectory`. */
export function defaultCacheDirectory(packageDirectory: string): string {
  const fromEnvironment = process.env['SKIPLAB_CACHE'];
  if (fromEnvironment) return fromEnvironment;
  const parent = dirname(packageDirectory);
  if (basename(parent) === 'node_modules') return join(parent, '.cache', 'skiplab');
  return join(tmpdir(), 'skiplab-cache');
}

/** A 32-bit hash of a string (FNV-1a), for source fingerprints. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A fast 32-bit checksum of bytes: word-wise multiply-rotate mixing, so a flipped bit or a
 * swapped word changes it. Not cryptographic; it guards against truncation and disk corruption.
 */
export function checksum(bytes: Uint8Array): number {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const wordCount = aligned.length >>> 2;
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, wordCount);
  let h = 0x9e3779b9 ^ bytes.length;
  for (let i = 0; i < wordCount; i++) {
    h = Math.imul(h ^ words[i]!, 0x85ebca6b);
    h = (h << 13) | (h >>> 19);
  }
  for (let i = wordCount * 4; i < aligned.length; i++) h = Math.imul(h ^ aligned[i]!, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export type CacheRead = { set: ImageSet } | { set: null; reason: string };

/** Read a cached split; returns why it is unusable instead of throwing. */
export function readImageCache(path: string, fingerprint: number): CacheRead {
  if (!existsSync(path)) return { set: null, reason: 'missing' };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { set: null, reason: `unreadable (${(error as Error).message})` };
  }
  if (bytes.length < HEADER_BYTES) return { set: null, reason: `${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header` };
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return { set: null, reason: 'bad magic number' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [version, count, channels, height, width, storedFingerprint, storedChecksum] = [8, 12, 16, 20, 24, 28, 32].map((o) =>
    view.getUint32(o, true),
  ) as [number, number, number, number, number, number, number];
  if (version !== FORMAT_VERSION) return { set: null, reason: `format version ${version}, expected ${FORMAT_VERSION}` };
  if (storedFingerprint !== fingerprint) return { set: null, reason: 'stale (made from different source files)' };
  const imageBytes = count * channels * height * width;
  const expectedLength = HEADER_BYTES + count + imageBytes;
  if (bytes.length !== expectedLength) {
    return { set: null, reason: `${bytes.length} bytes, but its header (${count} images of ${channels}x${height}x${width}) implies ${expectedLength}` };
  }
  // A plain Uint8Array view (not a Buffer, whose slice() would share memory instead of copying).
  const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, bytes.length - HEADER_BYTES);
  if (checksum(payload) !== storedChecksum) return { set: null, reason: 'checksum mismatch (corrupted)' };
  return {
    set: {
      labels: payload.subarray(0, count),
      images: payload.subarray(count, count + imageBytes),
      count,
      channels,
      height,
      width,
    },
  };
}

/** Write a split atomically (temp file in the same directory + rename). */
export function writeImageCache(path: string, set: ImageSet, fingerprint: number): void {
  const payload = new Uint8Array(set.count + set.images.length);
  payload.set(set.labels, 0);
  payload.set(set.images, set.count);
  const header = new Uint8Array(HEADER_BYTES);
  header.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(header.buffer);
  const fields = [FORMAT_VERSION, set.count, set.channels, set.height, set.width, fingerprint, checksum(payload)];
  fields.forEach((value, i) => view.setUint32(8 + 4 * i, value, true));
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    const fd = openSync(temporary, 'w');
    try {
      for (const part of [header, payload]) {
        let written = 0;
        while (written < part.length) written += writeSync(fd, part, written, part.length - written);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Load the cached splits named in `paths`, or run `build` (which returns every split at once) and
 * cache its result. A cache that cannot be written (read-only disk) only costs a warning.
 */
export function cachedSplits<K extends string>(
  dataset: string,
  paths: Record<K, string>,
  wanted: K,
  fingerprint: number,
  build: () => Record<K, ImageSet>,
  warn: (message: string) => void,
): ImageSet {
  const cached = readImageCache(paths[wanted], fingerprint);
  if (cached.set) return cached.set;
  if (cached.reason !== 'missing') warn(`skiplab: ${dataset} cache ${paths[wanted]} is ${cached.reason}; rebuilding it`);
  const built = build();
  for (const key of Object.keys(paths) as K[]) {
    try {
      writeImageCache(paths[key], built[key], fingerprint);
    } catch (error) {
      warn(`skiplab: could not write the ${dataset} cache ${paths[key]} (${(error as Error).message}); continuing without it`);
    }
  }
  return built[wanted];
}
