import type { Arena, Lane, Parallel, TaskHooks } from './arena.js';

/**
 * How a parallel kernel is cut into tasks (see threads.ts). The count depends on the shapes
 * only — never on the number of threads — so results are the same bits on any number of
 * threads, and a kernel too small to pay for handing work to another thread is one task, which
 * the calling thread runs without waking anyone.
 */

/**
 * Multiply-adds (or element updates, for memory-bound kernels weighted accordingly) that one task
 * should carry at least: about 20–40 µs of SIMD work, several times what claiming a task and
 * waking a sleeping thread cost.
 */
export const MIN_TASK_WORK = 1 << 17;

/**
 * At most this many tasks per kernel. Lanes finish a kernel together only to within about one
 * task, so more tasks leave less idle tail: 16 keeps it near 1/16 of a kernel on two lanes.
 */
export const MAX_TASKS = 16;

/**
 * At most this many tasks for kernels that add per-task partial sums in task order (the weight
 * gradient over a batch): the count fixes the order of the additions, so it fixes the last bits.
 */
export const MAX_SUM_TASKS = 8;

/** Tasks for `units` independent pieces (images, row blocks) of `work` multiply-adds in all. */
export function taskCount(units: number, work: number, most = MAX_TASKS): number {
  return Math.max(1, Math.min(units, most, Math.floor(work / MIN_TASK_WORK)));
}

/** Task `task` of `count` gets units [first, end): contiguous, sizes differing by at most 1. */
export function shareOf(units: number, count: number, task: number): [first: number, end: number] {
  const base = Math.floor(units / count);
  const extra = units % count;
  const first = task * base + Math.min(task, extra);
  return [first, first + base + (task < extra ? 1 : 0)];
}

/**
 * What one element of a memory-bound kernel (elementwise, batch norm, optimiser steps) weighs
 * in multiply-adds: one SIMD lane's load-compute-store against a GEMM's four multiply-adds per
 * loaded value, so these split only when large.
 */
export const ELEMENT_WORK = 2;

/** Floats per task boundary: a cache line, so two threads never write the same line. */
const LINE = 16;

/** Tasks for a memory-bound kernel over `n` elements. */
export function elementTasks(n: number): number {
  return taskCount(Math.ceil(n / LINE), n * ELEMENT_WORK);
}

/** Task `task`'s elements [first, end) of `n`, in whole cache lines. */
export function elementRange(n: number, count: number, task: number): [first: number, end: number] {
  const [first, end] = shareOf(Math.ceil(n / LINE), count, task);
  return [first * LINE, Math.min(n, end * LINE)];
}

/** Where a kernel's result goes: its arena pointer and the array it is copied out to. */
export type Output = readonly [pointer: number, target: Float32Array];

/** Where a kernel's operand comes from: its arena pointer (taken, not yet filled) and the array copied in. */
export type Input = readonly [pointer: number, source: Float32Array];

/**
 * Copy elements [first, end) of each output out of the arena; the range ending at `n` also takes
 * whatever its target holds past n, as a whole copy would.
 */
export function copyRange(arena: Arena, outputs: readonly Output[], first: number, end: number, n: number): void {
  for (const [pointer, target] of outputs) arena.output(pointer + 4 * first, target.subarray(first, end === n ? target.length : end));
}

/** Copy elements [first, end) of each input into the arena; the range ending at `n` also takes the rest of its source. */
export function copyRangeIn(arena: Arena, inputs: readonly Input[], first: number, end: number, n: number): void {
  const f32 = arena.f32;
  for (const [pointer, source] of inputs) f32.set(source.subarray(first, end === n ? source.length : end), pointer / 4 + first);
}

/** A `prepare` hook: each task's elements `elements(task)` of the `inputs` (of `n`) copied in. */
export function inputsByTask(arena: Arena, n: number, elements: (task: number) => [first: number, end: number], inputs: readonly Input[]): TaskHooks['prepare'] {
  return inputs.length > 0 ? (task) => copyRangeIn(arena, inputs, ...elements(task), n) : undefined;
}

/** A `finish` hook: each task's elements `elements(task)` of the `outputs` (of `n`) copied out. */
export function outputsByTask(arena: Arena, n: number, elements: (task: number) => [first: number, end: number], outputs: readonly Output[]): TaskHooks['finish'] {
  return outputs.length > 0 ? (task) => copyRange(arena, outputs, ...elements(task), n) : undefined;
}

/** Elements of task `task` when `tasks` tasks share `units` units (images) of `unitSize` elements. */
export const unitElements = (units: number, unitSize: number, tasks: number) => (task: number): [first: number, end: number] => {
  const [first, end] = shareOf(units, tasks, task);
  return [first * unitSize, end * unitSize];
};

/**
 * A per-element kernel over `n` elements, cut into element ranges when that pays; each range of
 * the `inputs` (taken in the arena, not filled) is copied in just before its task may start, and
 * of the `outputs` out as soon as its task is done.
 */
export function runByElements(
  parallel: Parallel, arena: Arena, n: number, call: (lane: Lane, first: number, count: number) => void,
  outputs: readonly Output[] = [], inputs: readonly Input[] = [],
): void {
  const tasks = elementTasks(n);
  parallel.run(tasks, (lane, task) => {
    const [first, end] = elementRange(n, tasks, task);
    call(lane, first, end - first);
  }, {
    prepare: inputsByTask(arena, n, (task) => elementRange(n, tasks, task), inputs),
    finish: outputsByTask(arena, n, (task) => elementRange(n, tasks, task), outputs),
  });
}
