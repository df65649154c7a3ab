import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/select.js';

/**
 * Recycled float32 storage. A training step allocates hundreds of megabytes of activations and
 * gradients; a fresh `Float32Array` costs a zero-fill plus a page fault per 4 KiB on first touch,
 * which on ResNet-20 was most of the JavaScript time of a step. Gradients die during the backward
 * pass at points the engine can prove (see `autograd/tape.ts`): it hands their storage back here,
 * and the next allocations of the same length (the rest of backward, the next forward) reuse it.
 *
 * Only the backward engine releases storage, and only storage it owns outright: a buffer is never
 * recycled while any tensor outside the engine can reach it. Buffers are keyed by exact length
 * (a network repeats the same shapes every step), belong to the backend that allocated them, and
 * are dropped to the garbage collector once a whole step has passed without reuse, so the pool
 * holds no more than one backward pass's worth of gradients and never raises peak memory.
 */

/** Below this many elements a fresh allocation is cheap and pooling is not worth a map lookup. */
const MIN_POOLED_LENGTH = 1024;
/** An upper bound on recycled bytes held at once; beyond it released buffers go to the GC. */
const MAX_POOLED_BYTES = 1 << 30;

interface Entry {
  readonly data: Float32Array;
  /** The backward pass (see `startPoolGeneration`) in which it was released. */
  readonly generation: number;
}

const buckets = new Map<number, Entry[]>();
let pooledBytes = 0;
let poolBackend: Backend | null = null;
let generation = 0;
let poison = false;
/** Storage allocated while a backward function runs, for the engine's ownership ledger. */
let tracker: Map<ArrayBufferLike, Float32Array> | null = null;

/**
 * Node's allocation without the zero-fill (Buffer.allocUnsafeSlow: a fresh ArrayBuffer of its own,
 * never a slice of a shared pool), for storage a kernel overwrites; absent in the browser, where
 * `backend.alloc` serves. Kernels accept any Float32Array (the Tensor constructor takes the
 * caller's), so storage need not come from `backend.alloc` to be usable.
 */
const uninitializedStorage = ((): ((bytes: number) => ArrayBufferLike) | null => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return null;
  const module = proc.getBuiltinModule('node:buffer') as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } } | undefined;
  const allocUnsafeSlow = module?.Buffer?.allocUnsafeSlow;
  return allocUnsafeSlow ? (bytes) => allocUnsafeSlow.call(module!.Buffer, bytes).buffer : null;
})();

function clear(): void {
  buckets.clear();
  pooledBytes = 0;
}

/**
 * A float32 array of `length` elements for the active backend: recycled when one of that length
 * is pooled, else from `backend.alloc`. With `zeroed` false the contents are unspecified (the
 * caller's kernel overwrites every element); with true they are all zero.
 */
export function takeBuffer(length: number, zeroed: boolean): Float32Array {
  const backend = getBackend();
  if (backend !== poolBackend) {
    clear();
    poolBackend = backend;
  }
  let data: Float32Array | undefined;
  const bucket = length >= MIN_POOLED_LENGTH ? buckets.get(length) : undefined;
  if (bucket && bucket.length > 0) {
    data = bucket.pop()!.data;
    pooledBytes -= data.byteLength;
    if (zeroed) data.fill(0);
    else if (poison) data.fill(NaN);
  } else if (!zeroed && uninitializedStorage && length >= MIN_POOLED_LENGTH) {
    data = new Float32Array(uninitializedStorage(length * Float32Array.BYTES_PER_ELEMENT), 0, length);
    if (poison) data.fill(NaN);
  } else {
    data = backend.alloc(length);
    if (!zeroed && poison) data.fill(NaN);
  }
  if (tracker && length >= MIN_POOLED_LENGTH) tracker.set(data.buffer, data);
  return data;
}

/**
 * Give storage back for reuse. Only the backward engine calls this, for buffers no tensor outside
 * it can reach; `data` must be the whole array `takeBuffer` returned.
 */
export function releaseBuffer(data: Float32Array): void {
  const length = data.length;
  if (length < MIN_POOLED_LENGTH || poolBackend === null) return;
  if (pooledBytes + data.byteLength > MAX_POOLED_BYTES) return;
  let bucket = buckets.get(length);
  if (!bucket) buckets.set(length, (bucket = []));
  bucket.push({ data, generation });
  pooledBytes += data.byteLength;
}

/**
 * Called at the start of each backward pass: buffers released two passes ago and not reused since
 * belong to shapes the model no longer produces (a smaller last batch, a switch to evaluation), so
 * they go to the garbage collector instead of pinning memory.
 */
export function startPoolGeneration(): void {
  generation++;
  for (const [length, bucket] of buckets) {
    const kept = bucket.filter((e) => e.generation >= generation - 1);
    for (const e of bucket) if (e.generation < generation - 1) pooledBytes -= e.data.byteLength;
    if (kept.length === 0) buckets.delete(length);
    else buckets.set(length, kept);
  }
}

/**
 * Record every buffer `takeBuffer` hands out into `ledger` (keyed by its ArrayBuffer, so views of
 * it are recognised too) until the next call; null stops. Returns the previous ledger so calls nest.
 */
export function trackAllocations(ledger: Map<ArrayBufferLike, Float32Array> | null): Map<ArrayBufferLike, Float32Array> | null {
  const previous = tracker;
  tracker = ledger;
  return previous;
}

/** How much recycled storage is held right now (for tests and the memory benchmark). */
export function poolStatistics(): { buffers: number; bytes: number } {
  let count = 0;
  for (const bucket of buckets.values()) count += bucket.length;
  return { buffers: count, bytes: pooledBytes };
}

/** Drop every pooled buffer (tests; a program about to change workload may call it too). */
export function emptyPool(): void {
  clear();
}

/**
 * Tests only: fill storage handed out uninitialised with NaN, so an op whose kernel does not write
 * every element shows up as NaN instead of silently reading a previous tensor's values.
 */
export function setPoolPoisoning(enabled: boolean): void {
  poison = enabled;
}
