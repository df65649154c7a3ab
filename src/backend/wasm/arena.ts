import type { ChannelAffine } from '../backend.js';
import type { KernelExports } from './loader.js';
import type { ParallelCall } from './lane-loop.js';

/**
 * Memory design of the wasm backend: copy-in / copy-out through one reused scratch arena.
 *
 * Tensors stay ordinary JavaScript `Float32Array`s (`alloc` returns `new Float32Array`). A kernel
 * call resets the arena, copies its inputs into the module's memory, runs, and copies its outputs
 * back. Everything a kernel needs in between (im2col columns, packed GEMM panels, f64
 * accumulators) lives in the same arena, so the hot inner loops never leave WebAssembly memory.
 *
 * Why not tensors as views into the WebAssembly memory (zero-copy)? The Backend interface has
 * `alloc` but no `free`, so views would be released only by a FinalizationRegistry, whose
 * callbacks run after GC *and* only when the event loop turns: a synchronous training loop would
 * fill the 4 GiB memory before one block came back, and the GC never sees wasm memory pressure.
 * A non-shared memory also detaches every view when it grows, and a `subarray` of a tensor that
 * outlives the tensor would alias a freed block. And the buffer pool, the recycling scopes and
 * the autograd engine's ownership ledger know a tensor's storage by its ArrayBuffer, which every
 * view into one memory shares: they would have to key storage by its own object first. Each of
 * those is a silent-corruption or out-of-memory hazard; copying is never wrong.
 *
 * Trade-off: every call pays O(inputs + outputs) memcpy (`TypedArray.set`, ~10 GB/s). That is
 * noise for GEMM and convolution (≥ 2·K flops per copied element), but it bounds memory-bound
 * kernels (elementwise, optimiser steps) at roughly the speed of the TypeScript loops; pure data
 * movement (permute, copyRegion, gather/scatter) therefore stays on the TypeScript kernels. The
 * arena grows to the high-water mark of the largest single call and is never shrunk. On worker
 * threads (threads.ts) the copies are the calling thread's alone: they are most of what stays
 * serial, so kernels copy each task's inputs in just before that task may start and its output
 * back as soon as it is done, while the other lanes work (TaskHooks).
 */
export class Arena {
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private floats: Float32Array;
  private ints: Int32Array;
  private doubles: Float64Array;

  /** Bytes at `reserved` before the arena proper are set aside for good (the thread pool's). */
  readonly reserved: number;

  constructor(private readonly kernels: KernelExports, memory: WebAssembly.Memory = kernels.memory, reservedBytes = 0) {
    this.memory = memory;
    this.reserved = align(kernels.heapBase());
    this.base = align(this.reserved + reservedBytes);
    this.top = this.base;
    if (this.base > this.memory.buffer.byteLength) this.grow(this.base);
    this.floats = new Float32Array(this.memory.buffer);
    this.ints = new Int32Array(this.memory.buffer);
    this.doubles = new Float64Array(this.memory.buffer);
  }

  /** Start a kernel call: everything taken before is released. */
  reset(): void {
    this.top = this.base;
  }

  /** Reserve `bytes` (64-byte aligned, for SIMD loads and cache lines); returns the byte offset. */
  takeBytes(bytes: number): number {
    const pointer = align(this.top);
    const end = pointer + bytes;
    if (end > this.memory.buffer.byteLength) this.grow(end);
    this.top = end;
    return pointer;
  }

  /** Reserve `length` floats (not zeroed). */
  take(length: number): number {
    return this.takeBytes(length * 4);
  }

  /** Reserve `length` floats set to 0 (by the module's memset: TypedArray.fill is slow on a shared memory). */
  takeZeroed(length: number): number {
    const pointer = this.take(length);
    this.kernels.fillZeros(pointer, length);
    return pointer;
  }

  /** Copy `values` in; returns its byte offset. */
  input(values: Float32Array): number {
    const pointer = this.take(values.length);
    this.f32.set(values, pointer / 4);
    return pointer;
  }

  /** Copy a ChannelAffine's per-channel arrays in, for the channelAffine kernel. */
  inputMap(map: ChannelAffine): MapInArena {
    return { mean: this.input(map.mean), scale: this.input(map.scale), shift: this.input(map.shift), relu: map.relu };
  }

  /** Copy int32 `values` in; returns its byte offset. */
  inputInt(values: Int32Array): number {
    const pointer = this.take(values.length);
    this.i32.set(values, pointer / 4);
    return pointer;
  }

  /** Copy `out.length` floats at `pointer` out into `out`. */
  output(pointer: number, out: Float32Array): void {
    const start = pointer / 4;
    out.set(this.f32.subarray(start, start + out.length));
  }

  outputInt(pointer: number, out: Int32Array): void {
    const start = pointer / 4;
    out.set(this.i32.subarray(start, start + out.length));
  }

  /** A float32 view of the whole memory, refreshed if the memory grew (growth detaches views). */
  get f32(): Float32Array {
    if (this.floats.buffer !== this.memory.buffer) this.refresh();
    return this.floats;
  }

  get i32(): Int32Array {
    if (this.ints.buffer !== this.memory.buffer) this.refresh();
    return this.ints;
  }

  get f64(): Float64Array {
    if (this.doubles.buffer !== this.memory.buffer) this.refresh();
    return this.doubles;
  }

  private refresh(): void {
    this.floats = new Float32Array(this.memory.buffer);
    this.ints = new Int32Array(this.memory.buffer);
    this.doubles = new Float64Array(this.memory.buffer);
  }

  private grow(endByte: number): void {
    const page = 65536;
    const have = this.memory.buffer.byteLength;
    // Grow by at least half again, so a slowly rising high-water mark does not grow every call.
    const want = Math.max(endByte, Math.ceil(have * 1.5));
    const pages = Math.ceil((want - have) / page);
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(Math.ceil((endByte - have) / page));
      } catch {
        throw new RangeError(
          `wasm backend: a kernel call needs ${(endByte / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, ` +
          'more than this runtime allows (4 GiB at most); use a smaller batch or SKIPLAB_BACKEND=ts',
        );
      }
    }
  }
}

/** A ChannelAffine in the arena: byte offsets of its mean, scale and shift. */
export interface MapInArena {
  readonly mean: number;
  readonly scale: number;
  readonly shift: number;
  readonly relu: boolean;
}

function align(byte: number): number {
  return Math.ceil(byte / 64) * 64; // not `& ~63`: offsets may pass 2^31
}

/** Where a parallel kernel's task runs its export calls: directly, or recorded for a worker (threads.ts). */
export interface Lane {
  /**
   * Which of the `lanes` runs these calls (0 is the calling thread), so that a task can use that
   * lane's scratch; readable only in kernels run with `laneScratch` (TaskHooks).
   */
  readonly index: number;
  call(name: ParallelCall, ...args: number[]): void;
}

/**
 * How a parallel kernel's tasks run. The calling thread makes the copies only it can make
 * (tensors are its own arrays): `prepare(task)` before the task may start on any lane (to copy
 * that task's inputs in), in task order, and `finish(task)` once the task is done (to copy its
 * output out). Both overlap with other lanes' tasks.
 */
export interface TaskHooks {
  prepare?: (task: number) => void;
  finish?: (task: number) => void;
  /**
   * The tasks' temporaries (im2col columns, packed panels) live in one block per lane
   * (`lane.index`), not one per task: a lane's block is still in its cache from its previous
   * task, where a block per task comes back cold from L3 each time (a 28×28×8 convolution ran
   * 26 % slower so). Each task is then recorded once per lane.
   */
  laneScratch?: boolean;
}

/**
 * Runs a kernel cut into `count` tasks, each on some lane, and returns when all are done. Tasks
 * must write disjoint outputs and use their own scratch; their number comes from the shapes alone,
 * so a kernel's result does not depend on how many lanes there are or which lane ran which task.
 */
export interface Parallel {
  readonly lanes: number;
  run(count: number, build: (lane: Lane, task: number) => void, hooks?: TaskHooks): void;
}

/** What every kernel wrapper needs: the module's exports, its scratch arena, its lanes. */
export interface WasmContext {
  readonly kernels: KernelExports;
  readonly arena: Arena;
  readonly parallel: Parallel;
}

/** One lane: the calling thread runs every task, in order, calling the exports directly. */
export function singleLane(kernels: KernelExports): Parallel {
  const table = kernels as unknown as Record<string, (...args: number[]) => void>;
  const lane: Lane = { index: 0, call: (name, ...args) => table[name]!(...args) };
  return {
    lanes: 1,
    run: (count, build, hooks) => {
      for (let task = 0; task < count; task++) {
        hooks?.prepare?.(task);
        build(lane, task);
        hooks?.finish?.(task);
      }
    },
  };
}
