import { createHash } from 'node:crypto';
import { z } from 'zod';
import { encodeSafetensors, loadSafetensorsWithMetadataSync, type SafetensorsContents, type SafetensorsMetadata } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { Tensor } from '../tensor/tensor.js';
import { describeIssues } from '../util/zod-issues.js';
import { RunStoreError, type CheckpointPosition, type RunDirectory } from './run-store.js';

/**
 * A checkpoint is ONE safetensors file: the model's state dict under `model.`, the optimiser's
 * buffers under `optimizer.`, and the training state (step, epoch, RNG and loader state, how many
 * metrics lines were written and their hash) as JSON in the file's metadata. One file renamed
 * into place is atomic, so a run killed mid-write keeps its previous checkpoint whole.
 *
 * The metadata also holds a SHA-256 of every tensor's bytes and of the training state, checked
 * on load: a flipped byte on disk is an error naming the file and the tensor, not a resumed run
 * that silently trains from other weights.
 */
const CHECKPOINT_FORMAT = 2;

export const trainingStateSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  metricsLines: z.number().int().nonnegative(),
  metricsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  rng: z.object({ s: z.array(z.number()).length(4), spareNormal: z.number().nullable() }),
  loader: z.unknown(),
  optimizer: z.object({ kind: z.string(), step: z.number(), lr: z.number(), bufferNames: z.array(z.string()) }),
});

export type TrainingState = z.infer<typeof trainingStateSchema>;

const STATE_KEY = 'skiplab.training_state';
const CHECKSUMS_KEY = 'skiplab.sha256';

const checksumsSchema = z.object({ state: z.string(), tensors: z.record(z.string(), z.string()) });

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function writeCheckpoint(run: RunDirectory, model: Module, optimizer: Optimizer, state: Pick<TrainingState, 'epoch' | 'step' | 'rng' | 'loader'>): void {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) tensors[`model.${name}`] = t;
  const optimizerState = optimizer.stateDict();
  for (const [name, list] of Object.entries(optimizerState.buffers)) {
    list.forEach((buffer, i) => {
      if (buffer) tensors[`optimizer.${name}.${i}`] = new Tensor(buffer, [buffer.length]);
    });
  }
  const metrics = run.metricsCoverage();
  const full: TrainingState = {
    format: CHECKPOINT_FORMAT,
    ...state,
    metricsLines: metrics.lines,
    metricsSha256: metrics.sha256,
    optimizer: { kind: optimizerState.kind, step: optimizerState.step, lr: optimizerState.lr, bufferNames: Object.keys(optimizerState.buffers) },
  };
  const stateText = JSON.stringify(full);
  const checksums = { state: sha256(stateText), tensors: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, sha256(tensorBytes(t))])) };
  run.writeRunFile(run.checkpointPath, encodeSafetensors(tensors, { [STATE_KEY]: stateText, [CHECKSUMS_KEY]: JSON.stringify(checksums) }));
  // A readable copy of the state for people; the safetensors metadata is what resume reads.
  run.writeRunFile(run.checkpointInfoPath, new TextEncoder().encode(JSON.stringify({ ...full, loader: undefined }, null, 2) + '\n'));
}

function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RunStoreError(`${path}: ${what} in the metadata is not valid JSON`);
  }
}

/** Whether a safetensors file's metadata is a skiplab checkpoint's. */
export function isCheckpointMetadata(metadata: SafetensorsMetadata | null): boolean {
  return metadata?.[STATE_KEY] !== undefined;
}

/**
 * Verify a checkpoint's contents against its checksums and parse its training state; errors
 * name the file (`path`) and the damaged part.
 */
export function verifyCheckpoint(path: string, contents: SafetensorsContents): { tensors: Record<string, Tensor>; state: TrainingState } {
  const { tensors, metadata } = contents;
  const stateText = metadata?.[STATE_KEY];
  if (!stateText) throw new RunStoreError(`${path}: no training state in the metadata (not a skiplab checkpoint)`);
  const checksumText = metadata[CHECKSUMS_KEY];
  if (!checksumText) throw new RunStoreError(`${path}: no checksums in the metadata (written by an older skiplab, or damaged); its contents cannot be verified — train again in a new run folder`);
  const checksums = checksumsSchema.safeParse(parseJson(checksumText, path, 'the checksum list'));
  if (!checksums.success) throw new RunStoreError(`${path}: the checksum list in the metadata is malformed`);
  const damaged = (what: string): RunStoreError => new RunStoreError(`${path}: ${what} does not match its SHA-256 checksum — the file is damaged (flipped bytes on disk?); restore it from a backup or train again`);
  if (sha256(stateText) !== checksums.data.state) throw damaged('the training state');
  const expected = checksums.data.tensors;
  for (const name of Object.keys(tensors)) {
    if (!(name in expected)) throw damaged(`tensor '${name}' (not in the checksum list)`);
  }
  for (const [name, digest] of Object.entries(expected)) {
    const t = tensors[name];
    if (!t) throw new RunStoreError(`${path}: tensor '${name}' is listed in the checksums but missing from the file`);
    if (sha256(tensorBytes(t)) !== digest) throw damaged(`tensor '${name}'`);
  }
  const parsed = trainingStateSchema.safeParse(parseJson(stateText, path, 'the training state'));
  if (!parsed.success) {
    throw new RunStoreError(`${path}: training state ${describeIssues(parsed.error.issues)}`);
  }
  return { tensors, state: parsed.data };
}

/** Where the checkpoint stands, for rewinding the metrics to it. */
export function checkpointPosition(state: TrainingState): CheckpointPosition {
  return { epoch: state.epoch, step: state.step, lines: state.metricsLines, sha256: state.metricsSha256 };
}

/** Verify the checkpoint, restore model and optimiser in place, and return the training state. */
export function readCheckpoint(run: RunDirectory, model: Module, optimizer: Optimizer): TrainingState {
  const { tensors, state } = verifyCheckpoint(run.checkpointPath, loadSafetensorsWithMetadataSync(run.checkpointPath));
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
