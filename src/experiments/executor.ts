import type { ExperimentStore } from './store.js';

/**
 * What every executor does (DESIGN.md decision 6): train an experiment store's unfinished runs and
 * report progress. The local process pool and the BullMQ queue both sit behind this, so the CLI
 * and reports do not care where a run was trained.
 */

/** Progress of a sweep as runs start and finish. */
export interface SweepEvent {
  kind: 'start' | 'epoch' | 'done' | 'failed' | 'skipped';
  run: string;
  message?: string;
  epoch?: number;
  epochs?: number;
}

export interface SweepResult {
  completed: string[];
  skipped: string[];
  failed: { run: string; error: string }[];
}

export interface Executor {
  /** Short name for messages ("local", "bullmq"). */
  readonly name: string;
  /** Train every run of the store that is not complete yet; finished runs are skipped. */
  sweep(store: ExperimentStore, onEvent?: (event: SweepEvent) => void): Promise<SweepResult>;
}
