import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { loadSafetensorsWithMetadataSync, saveSafetensorsSync } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { Tensor } from '../tensor/tensor.js';
import { RunStoreError, type RunDirectory } from './run-store.js';

/**
 * A checkpoint is ONE safetensors file: the model's state dict under `model.`, the optimiser's
 * buffers under `optimizer.`, and the training state (step, epoch, RNG and loader state, how many
 * metrics lines were written) as JSON in the file's metadata. One file renamed into place is
 * atomic, so a run killed mid-write keeps its previous checkpoint whole.
 */
export const trainingStateSchema = z.object({
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  metricsLines: z.number().int().nonnegative(),
  rng: z.object({ s: z.array(z.number()).length(4), spareNormal: z.number().nullable() }),
  loader: z.unknown(),
  optimizer: z.object({ kind: z.string(), step: z.number(), lr: z.number(), bufferNames: z.array(z.string()) }),
});

export type TrainingState = z.infer<typeof trainingStateSchema>;

const STATE_KEY = 'skiplab.training_state';

export function writeCheckpoint(run: RunDirectory, model: Module, optimizer: Optimizer, state: Omit<TrainingState, 'optimizer'>): void {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) tensors[`model.${name}`] = t;
  const optimizerState = optimizer.stateDict();
  for (const [name, list] of Object.entries(optimizerState.buffers)) {
    list.forEach((buffer, i) => {
      if (buffer) tensors[`optimizer.${name}.${i}`] = new Tensor(buffer, [buffer.length]);
    });
  }
  const full: TrainingState = {
    ...state,
    optimizer: { kind: optimizerState.kind, step: optimizerState.step, lr: optimizerState.lr, bufferNames: Object.keys(optimizerState.buffers) },
  };
  saveSafetensorsSync(run.checkpointPath, tensors, { [STATE_KEY]: JSON.stringify(full) });
  // A readable copy of the state for people; the safetensors metadata is what resume reads.
  writeFileSync(run.checkpointInfoPath, JSON.stringify({ ...full, loader: undefined }, null, 2) + '\n');
}

/** Restore model and optimiser in place and return the training state. */
export function readCheckpoint(run: RunDirectory, model: Module, optimizer: Optimizer): TrainingState {
  const { tensors, metadata } = loadSafetensorsWithMetadataSync(run.checkpointPath);
  const raw = metadata?.[STATE_KEY];
  if (!raw) throw new RunStoreError(`${run.checkpointPath}: no training state in the metadata (not a skiplab checkpoint)`);
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    throw new RunStoreError(`${run.checkpointPath}: the training state in the metadata is not valid JSON`);
  }
  const parsed = trainingStateSchema.safeParse(parsedJson);
  if (!parsed.success) {
    throw new RunStoreError(`${run.checkpointPath}: training state ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const state = parsed.data;
  const modelState: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith('model.')) modelState[name.slice(6)] = t;
  model.loadStateDict(modelState, { source: run.checkpointPath });
  const buffers: OptimizerState['buffers'] = {};
  for (const name of state.optimizer.bufferNames) {
    buffers[name] = optimizer.params.map((_, i) => {
      const t = tensors[`optimizer.${name}.${i}`];
      return t ? Float32Array.from(t.data) : null;
    });
  }
  // Adam keeps per-parameter step counts as one buffer of length = parameter count.
  optimizer.loadStateDict({ kind: state.optimizer.kind, step: state.optimizer.step, lr: state.optimizer.lr, buffers });
  return state;
}
