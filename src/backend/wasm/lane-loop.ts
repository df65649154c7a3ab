/**
 * What the wasm thread pool (threads.ts) shares with its lanes: the exports a task may call, the
 * regions of the shared memory below the arena (control block, per-lane counters, task starts,
 * done flags, call records) and the loop every lane worker runs over them. The loop is source
 * text, so that Node's worker threads and the browser's Web Workers can both start it.
 */
/** Exports a task may call: the index is what a command record stores. */
export const PARALLEL_CALLS = [
  'gemm', 'im2col', 'col2im', 'fillZeros', 'axpy', 'unary', 'unaryBackward', 'binaryStrided', 'affine', 'channelAffine',
  'batchNormStatistics', 'batchNormBackwardSums', 'batchNormBackwardInput', 'adamStep', 'sgdStep', 'avgPool2d',
] as const;
export type ParallelCall = (typeof PARALLEL_CALLS)[number];

export const MAX_ARGS = 16;
export const RECORD = 1 + MAX_ARGS; // call index, then the arguments (float64 slots); unused slots are passed and ignored
/** Export calls one parallel kernel may record, over all its tasks. */
export const RECORD_CAPACITY = 8192;
/** Tasks one parallel kernel may be cut into (the claim word keeps the count in 16 bits). */
export const MAX_TASKS = 1024;

// Control block, int32 slots. The claim word packs (task count << 16 | next unclaimed task), so
// one compare-and-swap both checks that a task is left and takes it.
export const GENERATION = 0; // bumped when a kernel's tasks are published; the workers' futex
export const CLAIM = 1;
export const DONE = 2; // tasks finished; the caller's futex
export const ERRORS = 3;
export const PAGES = 4; // the memory's size in 64 KiB pages when the tasks were published
export const READY = 5; // tasks below this one have their inputs in place and may be claimed
export const LANE_STRIDE = 6; // 0: all lanes run the same records; else lane l's task starts begin at l · this (laneScratch)
export const MESSAGE = 16; // int32 slot where the first failure's message starts (UTF-16 code units)
export const MESSAGE_UNITS = 200; // ends inside the 256 slots of CONTROL_BYTES
export const CONTROL_BYTES = 1024;
/** Per-lane counters, float64: ms running tasks, tasks run, times it went to sleep, times it caught up with grown memory. */
export const STAT_SLOTS = 4;
export const [BUSY_MS, TASKS_RUN, SLEEPS, CATCH_UPS] = [0, 1, 2, 3];

/**
 * How long a lane spins before it sleeps, in ms (both for the next kernel and for the last task).
 * Most gaps between a training step's kernels are longer (median 0.12 ms), and waking from sleep
 * costs 0.1–0.3 ms on a virtual machine; yet spinning 1–3 ms, which bridges 95–99 % of the gaps,
 * changed 2-thread lab steps by −11 % to +9 % from one measurement to the next (Node and
 * Chromium), no steadier than the host, so lanes keep their cores free instead.
 */
export const DEFAULT_SPIN_MS = 0.05;

export function layout(threads: number): { stats: number; starts: number; finished: number; records: number; bytes: number } {
  const stats = CONTROL_BYTES;
  const starts = stats + 8 * STAT_SLOTS * threads;
  const finished = starts + 4 * threads * (MAX_TASKS + 1);
  const records = Math.ceil((finished + 4 * MAX_TASKS) / 64) * 64;
  return { stats, starts, finished, records, bytes: records + 8 * RECORD * RECORD_CAPACITY };
}

/** Bytes of shared memory the pool keeps for itself, at the start of the arena. */
export const poolReservedBytes = (threads: number): number => layout(threads).bytes;

/** What a lane's worker is started with: the module, the shared memory, and where the pool's regions are. */
export interface LaneWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  names: readonly string[];
  lane: number;
  spinMs: number;
  /** Byte offsets of the control block, the lanes' counters, the task starts, the tasks' done flags and the records. */
  control: number;
  stats: number;
  starts: number;
  finished: number;
  records: number;
  constants: { record: number; maxTasks: number; capacity: number; message: number; messageUnits: number; statSlots: number; lanes: number };
}

/**
 * The loop every lane worker runs, as plain JavaScript with `workerData` (a LaneWorkerData) and
 * `ready()` in scope: instantiate the module over the shared memory, say it is ready, then claim
 * and run tasks each time the generation moves. Node wraps it for `new Worker(code, { eval: true
 * })` below; the browser lab wraps it for a Web Worker.
 */
export const LANE_LOOP_SOURCE = `
const { module, memory, names, lane, spinMs, control, stats: statsAt, starts: startsAt, finished: finishedAt, records: recordsAt, constants } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, abort(_m, _f, line, column) {
  throw new Error('kernel aborted at kernels-threads.wasm line ' + line + ':' + column);
} } });
const calls = names.map((name) => instance.exports[name]);
// The pool's regions lie below the arena, inside the memory as it was when the pool started,
// so views taken now stay valid however the memory grows later.
const ctrl = new Int32Array(memory.buffer, control, 256);
const stats = new Float64Array(memory.buffer, statsAt + 8 * constants.statSlots * lane, constants.statSlots);
const starts = new Int32Array(memory.buffer, startsAt, constants.lanes * (constants.maxTasks + 1));
const finished = new Int32Array(memory.buffer, finishedAt, constants.maxTasks);
const records = new Float64Array(memory.buffer, recordsAt, constants.capacity * constants.record);
// Every export takes at most 16 arguments, and extra ones are ignored: passing all 16 slots
// costs a twentieth of spreading a subarray of the record.
const runRecord = (at) => calls[records[at]](
  records[at + 1], records[at + 2], records[at + 3], records[at + 4], records[at + 5], records[at + 6], records[at + 7], records[at + 8],
  records[at + 9], records[at + 10], records[at + 11], records[at + 12], records[at + 13], records[at + 14], records[at + 15], records[at + 16],
);
ready();
// Control slots: 0 generation, 1 claim word, 2 tasks done, 3 failures, 4 memory pages, 5 ready mark,
// 6 lane stride (GENERATION… above).
let seen = Atomics.load(ctrl, 0);
let knownPages = memory.buffer.byteLength / 65536;
for (;;) {
  for (;;) {
    const word = Atomics.load(ctrl, 1);
    const count = word >>> 16;
    const task = word & 0xffff;
    if (task >= count) break;
    // The caller is still copying this task's inputs: spin a little, then sleep until it raises
    // the ready mark (a lane spinning for long would take the core a descheduled caller needs).
    const ready = Atomics.load(ctrl, 5);
    if (task >= ready) {
      const since = performance.now();
      while (Atomics.load(ctrl, 5) === ready && performance.now() - since < spinMs);
      if (Atomics.load(ctrl, 5) === ready) Atomics.wait(ctrl, 5, ready);
      continue;
    }
    if (Atomics.compareExchange(ctrl, 1, word, word + 1) !== word) continue;
    const began = performance.now();
    try {
      // Memory the caller grew for these tasks: V8 tells other threads of a shared memory's
      // growth by an interrupt, and until this thread handles it, its instance keeps the old
      // size, against which memory.fill and memory.copy check their bounds — and trap. A futex
      // wait that sleeps handles the interrupt, but a thread that was spinning or busy may not
      // have; grow(0) on its own memory object brings this thread's size up to date.
      const pages = Atomics.load(ctrl, 4);
      if (pages > knownPages) {
        memory.grow(0);
        knownPages = memory.buffer.byteLength / 65536;
        stats[3] += 1;
      }
      const first = lane * ctrl[6] + task;
      for (let r = starts[first], end = starts[first + 1]; r < end; r++) runRecord(r * constants.record);
    } catch (error) {
      if (Atomics.add(ctrl, 3, 1) === 0) {
        const text = 'lane ' + lane + ': ' + String(error && error.stack || error);
        const units = Math.min(text.length, constants.messageUnits - 1);
        for (let i = 0; i < units; i++) ctrl[constants.message + i] = text.charCodeAt(i);
        ctrl[constants.message + units] = 0;
      }
    }
    stats[0] += performance.now() - began;
    stats[1] += 1;
    Atomics.store(finished, task, 1);
    if (Atomics.add(ctrl, 2, 1) + 1 === count) Atomics.notify(ctrl, 2);
  }
  const idle = performance.now();
  while (Atomics.load(ctrl, 0) === seen && performance.now() - idle < spinMs);
  if (Atomics.load(ctrl, 0) === seen) {
    stats[2] += 1;
    Atomics.wait(ctrl, 0, seen);
  }
  seen = Atomics.load(ctrl, 0);
}
`;
