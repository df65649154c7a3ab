import type { Lane, Parallel, TaskHooks } from './arena.js';
import type { KernelExports } from './loader.js';
import type { PoolStatistics } from './pool-statistics.js';
import {
  BUSY_MS, CATCH_UPS, CLAIM, CONTROL_BYTES, DEFAULT_SPIN_MS, DONE, ERRORS, GENERATION, LANE_LOOP_SOURCE, LANE_STRIDE,
  type LaneWorkerData, layout, MAX_ARGS, MAX_TASKS, MESSAGE, MESSAGE_UNITS, PAGES, PARALLEL_CALLS, type ParallelCall, READY,
  RECORD, RECORD_CAPACITY, SLEEPS, STAT_SLOTS, TASKS_RUN,
} from './lane-loop.js';

/**
 * Worker threads for the wasm backend: T − 1 workers instantiate kernels-threads.wasm over one
 * shared WebAssembly memory, so they see the same arena as the calling thread.
 *
 * A parallel kernel is cut into tasks whose number depends only on the shapes, never on the
 * thread count (so a kernel returns the same bits on 1 thread and on 4). The calling thread
 * records every task's export calls (pointers and sizes only) into a command region of the
 * shared memory, publishes them, and then it and the workers *claim* tasks one at a time from a
 * shared cursor (compare-and-swap) until none is left, the calling thread running its share
 * directly. A kernel whose tasks use scratch memory (im2col columns, packed panels) is recorded
 * once per lane, each copy pointing at that lane's scratch (TaskHooks.laneScratch), so a lane
 * reuses one warm block whichever tasks it claims. A worker that the operating system has not
 * scheduled yet — the common case on a busy 2-core machine — simply claims nothing: the calling
 * thread does its tasks, and a slow lane can no longer hold the whole step back as a fixed split
 * did. A kernel whose inputs the caller copies in task by task (TaskHooks.prepare) publishes its
 * tasks first and raises a ready mark after each copy: lanes claim only tasks below the mark, so
 * the first tasks run while the caller still copies the inputs of the later ones.
 *
 * Waking: a worker that runs out of tasks spins on the generation word for a short while
 * (training steps issue parallel kernels back to back, and a spin answers in a few hundred
 * nanoseconds where a futex wake-up costs tens of microseconds, 0.1–0.3 ms on a virtual machine;
 * DEFAULT_SPIN_MS) and then sleeps in Atomics.wait.
 * The caller likewise spins, then sleeps, until the last task is reported done; meanwhile it
 * copies finished tasks' outputs back (`finish`): copies are the one part of a kernel only it
 * can do.
 *
 * Growth: only the caller grows the memory, always before it publishes. V8 tells the other
 * threads by an interrupt, and until a thread handles it its instance checks memory.fill and
 * memory.copy against the old size (plain loads and stores are guarded by pages, so they do not
 * notice); a worker whose last futex wait returned at once may not have handled it. So the
 * caller publishes the memory's size with the tasks, and a worker that knows a smaller one
 * calls memory.grow(0), which brings its own view up to date.
 *
 * In the browser the same pool runs inside a Web Worker (the page's main thread cannot
 * Atomics.wait) of a cross-origin isolated page (a shared memory needs isolation), its lanes Web
 * Workers started through `startLane` (web/src/browser-threads.ts).
 */

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
  private readonly calls: ((...args: number[]) => void)[];
  private readonly spinMs: number;
  private readonly ctrl: Int32Array;
  private readonly stats: Float64Array;
  private readonly starts: Int32Array;
  private readonly finished: Int32Array;
  private readonly records: Float64Array;
  private recorded = 0;
  private regions = 0;
  private inlineRegions = 0;
  private inlineMs = 0;
  private regionMs = 0;
  private callerWaitMs = 0;
  private readonly recorder: Lane;
  /** The lane whose records `recorder` writes, or −1 when all lanes share them (lane.index then throws). */
  private recordingLane = -1;
  private readonly direct: Lane;

  /**
   * `reserved` is the byte offset of poolReservedBytes(threads) bytes the pool may use;
   * `startLane` starts one worker running LANE_LOOP_SOURCE (Node worker threads by default).
   */
  constructor(module: WebAssembly.Module, kernels: KernelExports, memory: WebAssembly.Memory, threads: number, reserved: number,
    startLane: (data: LaneWorkerData) => void = startNodeLane, spinMs = DEFAULT_SPIN_MS) {
    if (threads < 1 || threads > 64) throw new Error(`wasm threads: ${threads} threads; expected 1 to 64`);
    this.lanes = threads;
    this.memory = memory;
    this.spinMs = spinMs;
    const table = kernels as unknown as Record<ParallelCall, (...args: number[]) => void>;
    this.calls = PARALLEL_CALLS.map((name) => table[name]);
    const wide = PARALLEL_CALLS.find((name) => table[name].length > MAX_ARGS);
    if (wide) throw new Error(`wasm threads: ${wide} takes ${table[wide].length} arguments; a record holds ${MAX_ARGS}`);
    const at = layout(threads);
    this.ctrl = new Int32Array(memory.buffer, reserved, CONTROL_BYTES / 4);
    this.stats = new Float64Array(memory.buffer, reserved + at.stats, STAT_SLOTS * threads);
    this.starts = new Int32Array(memory.buffer, reserved + at.starts, threads * (MAX_TASKS + 1));
    this.finished = new Int32Array(memory.buffer, reserved + at.finished, MAX_TASKS);
    this.records = new Float64Array(memory.buffer, reserved + at.records, RECORD * RECORD_CAPACITY);
    const records = this.records;
    const callIndex = new Map(PARALLEL_CALLS.map((name, index) => [name, index]));
    const arity = this.calls.map((call) => call.length);
    const pool = this;
    this.recorder = {
      get index(): number {
        if (pool.recordingLane < 0) throw new Error('wasm threads: lane.index read by a kernel not run with laneScratch');
        return pool.recordingLane;
      },
      call: (name, ...args) => {
        const r = this.recorded;
        if (r >= RECORD_CAPACITY) throw new Error(`wasm threads: more than ${RECORD_CAPACITY} calls recorded for one kernel`);
        const index = callIndex.get(name)!;
        // Replay passes every slot, stale ones too, which only parameters an export lacks may take.
        if (args.length !== arity[index]) throw new Error(`wasm threads: ${name} with ${args.length} arguments; it takes ${arity[index]}`);
        const base = r * RECORD;
        records[base] = index;
        // An element loop: TypedArray.set from an array is ten times slower for 16 values.
        for (let i = 0; i < args.length; i++) records[base + 1 + i] = args[i]!;
        this.recorded = r + 1;
      },
    };
    this.direct = { index: 0, call: (name, ...args) => table[name](...args) };
    for (let lane = 1; lane < threads; lane++) {
      startLane({
        module, memory, names: PARALLEL_CALLS, lane, spinMs, control: reserved, stats: reserved + at.stats,
        starts: reserved + at.starts, finished: reserved + at.finished, records: reserved + at.records,
        constants: { record: RECORD, maxTasks: MAX_TASKS, capacity: RECORD_CAPACITY, message: MESSAGE, messageUnits: MESSAGE_UNITS, statSlots: STAT_SLOTS, lanes: threads },
      });
    }
  }

  /**
   * Run tasks 0…count−1 of `build`, each on whichever lane claims it, with `prepare(task)` on the
   * calling thread before the task may start and `finish(task)` once it is done — while other
   * lanes may be working, which is where copying a task's inputs in and its output back overlaps
   * the rest of the kernel. Returns when all tasks are done and finished. One task runs on the
   * calling thread without waking anyone.
   */
  run(count: number, build: (lane: Lane, task: number) => void, hooks: TaskHooks = {}): void {
    if (count <= 0) return;
    const { prepare, finish, laneScratch = false } = hooks;
    if (count === 1 || this.lanes === 1) {
      const began = performance.now();
      for (let task = 0; task < count; task++) {
        prepare?.(task);
        build(this.direct, task);
        finish?.(task);
      }
      const ms = performance.now() - began;
      if (count === 1) {
        this.inlineRegions++;
        this.inlineMs += ms;
      } else {
        // One lane: what more lanes would split, timed as lane 0's work.
        this.regions++;
        this.regionMs += ms;
        this.stats[BUSY_MS] += ms;
        this.stats[TASKS_RUN] += count;
      }
      return;
    }
    if (count > MAX_TASKS) throw new Error(`wasm threads: ${count} tasks for one kernel; at most ${MAX_TASKS}`);
    this.recorded = 0;
    // With laneScratch each lane's tasks are recorded apart, lane l's starts at l · (count + 1).
    try {
      for (let lane = 0; lane < (laneScratch ? this.lanes : 1); lane++) {
        const base = lane * (count + 1);
        this.recordingLane = laneScratch ? lane : -1;
        for (let task = 0; task < count; task++) {
          this.starts[base + task] = this.recorded;
          build(this.recorder, task);
        }
        this.starts[base + count] = this.recorded;
      }
    } finally {
      this.recordingLane = -1;
    }
    this.finished.fill(0, 0, count);
    const began = performance.now();
    const ctrl = this.ctrl;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERRORS, 0);
    Atomics.store(ctrl, PAGES, this.memory.buffer.byteLength / 65536);
    Atomics.store(ctrl, READY, prepare ? 0 : count);
    Atomics.store(ctrl, LANE_STRIDE, laneScratch ? count + 1 : 0);
    Atomics.store(ctrl, CLAIM, count << 16);
    Atomics.add(ctrl, GENERATION, 1);
    Atomics.notify(ctrl, GENERATION);
    this.regions++;
    let failure: unknown = null;
    if (prepare) {
      // The workers wake while the first inputs are copied; each task is released as soon as its
      // inputs are in (after a failure too, so no lane waits for ever; the failure is thrown below).
      const started = performance.now();
      for (let task = 0; task < count; task++) {
        try {
          prepare(task);
        } catch (error) {
          failure ??= error;
        }
        Atomics.store(ctrl, READY, task + 1);
        Atomics.notify(ctrl, READY);
      }
      this.stats[BUSY_MS] += performance.now() - started;
    }
    // Tasks whose `finish` has run, in order of completion checks; finishing is the caller's work.
    const finishedHere = finish ? new Uint8Array(count) : null;
    let finishedCount = 0;
    let finishMs = 0;
    const finishCompleted = (): boolean => {
      let any = false;
      for (let task = 0; task < count; task++) {
        if (finishedHere![task] || Atomics.load(this.finished, task) === 0) continue;
        finishedHere![task] = 1;
        finishedCount++;
        any = true;
        const started = performance.now();
        try {
          finish!(task);
        } catch (error) {
          failure ??= error;
        }
        const ms = performance.now() - started;
        this.stats[BUSY_MS] += ms;
        finishMs += ms;
      }
      return any;
    };
    for (;;) {
      const word = Atomics.load(ctrl, CLAIM);
      const task = word & 0xffff;
      if (task >= count) break;
      if (Atomics.compareExchange(ctrl, CLAIM, word, word + 1) !== word) continue;
      const started = performance.now();
      try {
        this.runTask(task);
      } catch (error) {
        failure ??= error;
      }
      this.stats[BUSY_MS] += performance.now() - started;
      this.stats[TASKS_RUN] += 1;
      Atomics.store(this.finished, task, 1);
      Atomics.add(ctrl, DONE, 1);
      if (finishedHere) finishCompleted();
    }
    const waiting = performance.now();
    const finishedBeforeWaiting = finishMs;
    let idleSince = waiting;
    for (let done = Atomics.load(ctrl, DONE); done < count; done = Atomics.load(ctrl, DONE)) {
      if (finishedHere && finishCompleted()) idleSince = performance.now();
      else if (performance.now() - idleSince >= this.spinMs) Atomics.wait(ctrl, DONE, done);
    }
    if (finishedHere && finishedCount < count) finishCompleted();
    const ended = performance.now();
    this.callerWaitMs += ended - waiting - (finishMs - finishedBeforeWaiting);
    this.regionMs += ended - began;
    if (failure) throw failure;
    if (Atomics.load(ctrl, ERRORS) > 0) throw new Error(`wasm threads: a kernel failed in a worker thread (${this.workerMessage()})`);
  }

  private runTask(task: number): void {
    const records = this.records;
    for (let r = this.starts[task]!, end = this.starts[task + 1]!; r < end; r++) {
      const at = r * RECORD;
      // All MAX_ARGS slots, as the lanes do (LANE_LOOP_SOURCE): exports ignore the extra ones.
      this.calls[records[at]!]!(
        records[at + 1]!, records[at + 2]!, records[at + 3]!, records[at + 4]!, records[at + 5]!, records[at + 6]!, records[at + 7]!, records[at + 8]!,
        records[at + 9]!, records[at + 10]!, records[at + 11]!, records[at + 12]!, records[at + 13]!, records[at + 14]!, records[at + 15]!, records[at + 16]!,
      );
    }
  }

  private workerMessage(): string {
    let text = '';
    for (let i = MESSAGE; i < MESSAGE + MESSAGE_UNITS && this.ctrl[i] !== 0; i++) text += String.fromCharCode(this.ctrl[i]!);
    return text || 'no message';
  }

  /** Counters since the last reset (see PoolStatistics). */
  statistics(): PoolStatistics {
    const lanes = Array.from({ length: this.lanes }, (_, lane) => ({
      busyMs: this.stats[lane * STAT_SLOTS + BUSY_MS]!,
      tasks: this.stats[lane * STAT_SLOTS + TASKS_RUN]!,
      sleeps: this.stats[lane * STAT_SLOTS + SLEEPS]!,
      catchUps: this.stats[lane * STAT_SLOTS + CATCH_UPS]!,
    }));
    return { regions: this.regions, inlineRegions: this.inlineRegions, inlineMs: this.inlineMs, regionMs: this.regionMs, callerWaitMs: this.callerWaitMs, lanes };
  }

  resetStatistics(): void {
    this.stats.fill(0);
    this.regions = this.inlineRegions = 0;
    this.regionMs = this.callerWaitMs = this.inlineMs = 0;
  }
}
