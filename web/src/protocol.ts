/** Messages between the page (main.ts) and a worker (worker.ts): one worker per run, or one for a speed test. */
import type { MeasureKind, RunResults } from './run-results.js';
import type { LabSettings } from './settings.js';
import type { ParallelReading } from '../../src/backend/wasm/pool-statistics.js';

/** A box in the network diagram: a stem/head layer or a block that owns a skip. */
export interface DiagramNode {
  path: string;
  label: string;
}

/** A skip edge drawn as an arc over the block that owns it (`kind: 'none'` = removed in the twin). */
export interface DiagramEdge {
  block: string;
  kind: string;
}

export interface ModelDescription {
  title: string;
  parameters: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** Blocks a lesion can delete (they have a shortcut, or keep their input's shape). */
  lesionable: string[];
  /** Weighted layers in forward order: one gradient bar each. */
  layers: string[];
}

/** Where the worker finds its files, relative to its own URL (so any sub-path works). */
export interface AssetUrls {
  data: string;
  kernels: string;
  threadedKernels: string;
}

export type ToWorker =
  | { type: 'init'; settings: LabSettings; threads: number; measure: MeasureKind | null; urls: AssetUrls }
  | { type: 'speed'; settings: LabSettings; threads: number[]; rounds: number; seconds: number; urls: AssetUrls }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'lesion'; block: string }
  | { type: 'landscape'; points: number; range: number }
  | { type: 'export' }
  | { type: 'import'; bytes: ArrayBuffer; fileName: string };

export interface ProgressMessage {
  type: 'progress';
  step: number;
  epoch: number;
  /** Mean training loss and accuracy over the steps since the last message. */
  trainLoss: number;
  trainAccuracy: number;
  stepsPerSecond: number;
  /** ‖∂L/∂W‖ per weighted layer at the latest step, in `layers` order. */
  gradientNorms: number[];
}

/** Steps per second of one model at each thread count: from the median step and from the fastest. */
export interface SpeedResult {
  title: string;
  threads: number[];
  median: number[];
  best: number[];
  /** Per thread count, the thread pool's readings over the timed steps (null: no pool, one thread). */
  parallel: (ParallelReading | null)[];
  /** Per thread count, GFLOP/s of one large matrix product (matrix-probe.ts) from its median time: the machine's reference. */
  matrixGflops: number[];
}

export type FromWorker =
  | { type: 'ready'; backend: string; threads: number; model: ModelDescription; settings: LabSettings }
  | ProgressMessage
  | { type: 'evaluation'; step: number; testLoss: number; testAccuracy: number }
  | { type: 'running'; running: boolean; step: number }
  | { type: 'measuring' }
  | { type: 'results'; results: RunResults }
  | { type: 'lesion'; block: string; baselineAccuracy: number; lesionedAccuracy: number }
  | { type: 'landscape'; alphas: number[]; losses: number[] }
  | { type: 'exported'; bytes: ArrayBuffer; fileName: string }
  | { type: 'imported'; fileName: string; tensors: number; testAccuracy: number }
  | { type: 'speed'; result: SpeedResult }
  | { type: 'error'; message: string };
