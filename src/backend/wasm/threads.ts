import type { Lane, Parallel } from './arena.js';
import type { KernelExports } from './loader.js';

/**
 * Worker threads for the wasm backend (Node): T − 1 workers instantiate kernels-threads.wasm over
 * one shared WebAssembly memory, so they see the same arena as the main thread. A parallel kernel
 * records, per lane, a short list of export calls (pointers and sizes only) into a command region
 * of that memory; the workers are woken through Atomics on a control block, run their lists while
 * the main thread runs lane 0's directly, and the main thread blocks (Atomics.wait) until all are
 * done. Each lane writes disjoint outputs and uses its own scratch, so no locks are needed.
 *
 * In the browser the same pool runs inside a Web Worker (the main thread cannot Atomics.wait) of
 * a cross-origin isolated page (a shared memory needs isolation), its lanes Web Workers started
 * through `startLane` (web/src/browser-threads.ts).
 */

/** Exports a worker may be asked to run: the index is what a command record stores. */
export const PARALLEL_CALLS = ['gemm', 'im2col', 'col2im'] as const;
export type ParallelCall = (typeof PARALLEL_CALLS)[number];

const MAX_ARGS = 16;
const RECORD = 2 + MAX_ARGS; // call index, argument count, arguments (float64 slots)
/** Records per worker: conv kernels record two per image and group. */
export const LANE_CAPACITY = 4096;
const CONTROL_BYTES = 64; // int32 [generation, done, errors, unused…]
const LANE_BYTES = 8 * (1 + LANE_CAPACITY * RECORD);

/** Bytes of shared memory the pool keeps for itself, at the start of the arena. */
export const poolReservedBytes = (threads: number): number => CONTROL_BYTES + (threads - 1) * LANE_BYTES;

/** What a lane's worker is started with: the module, the shared memory, and where its commands are. */
export interface LaneWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  names: readonly string[];
  control: number;
  commands: number;
  record: number;
}

/**
 * The loop every lane worker runs, as plain JavaScript with `workerData` (a LaneWorkerData) and
 * `ready()` in scope: instantiate the module over the shared memory, say it is ready, then run
 * its command list each time the generation counter moves. Node wraps it for
 * `new Worker(code, { eval: true })` below; the browser lab wraps it for a Web Worker.
 */
export const LANE_LOOP_SOURCE = `
const { module, memory, names, control, commands, record } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, abort(_m, _f, line, column) {
  throw new Error('kernel aborted at kernels-threads.wasm line ' + line + ':' + column);
} } });
const calls = names.map((name) => instance.exports[name]);
ready();
let seen = 0;
for (;;) {
  const ctrl = new Int32Array(memory.buffer, control, 4);
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  const list = new Float64Array(memory.buffer, commands);
  try {
    const count = list[0];
    for (let r = 0; r < count; r++) {
      const at = 1 + r * record;
      calls[list[at]](...list.subarray(at + 2, at + 2 + list[at + 1]));
    }
  } catch (error) {
    Atomics.add(ctrl, 2, 1);
  }
  Atomics.add(ctrl, 1, 1);
  Atomics.notify(ctrl, 1);
}
`;

// Node's worker: a CommonJS string, so it needs no file that a bundler or tsx would have to find
// next to this module.
const NODE_WORKER_SOURCE = `const { workerData } = require('node:worker_threads');\nconst ready = () => {};\n${LANE_LOOP_SOURCE}`;

type WorkerModule = { Worker: new (code: string, options: { eval: true; workerData: unknown }) => { unref(): void } };

function startNodeLane(data: LaneWorkerData): void {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const { Worker } = proc!.getBuiltinModule!('node:worker_threads') as WorkerModule;
  new Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data }).unref(); // idle workers never keep the process alive
}

export class ThreadPool implements Parallel {
  readonly lanes: number;
  private readonly memory: WebAssembly.Memory;
  private readonly kernels: KernelExports;
  private readonly control: number;

  /**
   * `reserved` is the byte offset of poolReservedBytes(threads) bytes the pool may use;
   * `startLane` starts one worker running LANE_LOOP_SOURCE (Node worker threads by default).
   */
  constructor(module: WebAssembly.Module, kernels: KernelExports, memory: WebAssembly.Memory, threads: number, reserved: number,
    startLane: (data: LaneWorkerData) => void = startNodeLane) {
    this.lanes = threads;
    this.memory = memory;
    this.kernels = kernels;
    this.control = reserved;
    for (let lane = 1; lane < threads; lane++) {
      startLane({ module, memory, names: PARALLEL_CALLS, control: this.control, commands: this.commandsOf(lane), record: RECORD });
    }
  }

  private commandsOf(lane: number): number {
    return this.control + CONTROL_BYTES + (lane - 1) * LANE_BYTES;
  }

  /**
   * Run `build` for every lane: lanes 1…T−1 record their calls for the workers, which start at
   * once; lane 0 then calls the main thread's exports directly; returns when every lane is done.
   */
  run(build: (lane: Lane, index: number) => void): void {
    const lists: Float64Array[] = [];
    for (let index = 1; index < this.lanes; index++) {
      const list = new Float64Array(this.memory.buffer, this.commandsOf(index), 1 + LANE_CAPACITY * RECORD);
      list[0] = 0;
      build({
        call(name, ...args) {
          const count = list[0]!;
          if (count >= LANE_CAPACITY) throw new Error(`wasm threads: more than ${LANE_CAPACITY} calls recorded for one lane`);
          const at = 1 + count * RECORD;
          list[at] = PARALLEL_CALLS.indexOf(name);
          list[at + 1] = args.length;
          list.set(args, at + 2);
          list[0] = count + 1;
        },
      }, index);
      lists.push(list);
    }
    const ctrl = new Int32Array(this.memory.buffer, this.control, 4);
    Atomics.store(ctrl, 1, 0);
    Atomics.store(ctrl, 2, 0);
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    const kernels = this.kernels as unknown as Record<ParallelCall, (...args: number[]) => void>;
    let mainError: unknown = null;
    try {
      build({ call: (name, ...args) => kernels[name](...args) }, 0);
    } catch (error) {
      mainError = error;
    }
    const workers = this.lanes - 1;
    for (let done = Atomics.load(ctrl, 1); done < workers; done = Atomics.load(ctrl, 1)) Atomics.wait(ctrl, 1, done);
    if (mainError) throw mainError;
    if (Atomics.load(ctrl, 2) > 0) throw new Error('wasm threads: a kernel failed in a worker thread');
  }
}
