import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, type ModelOptions } from '../models/registry.js';
import type { SkipModel } from '../models/skip-model.js';
import type { Module, StateDict } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { CheckpointError } from '../util/errors.js';
import { loadSafetensorsWithMetadata, type SafetensorsMetadata } from './safetensors.js';

/** A weights file or folder that cannot be used: the message names the path and what is wrong. */
export class WeightsError extends CheckpointError {
  override name = 'WeightsError';
}

/** Where a state dict came from, for reports ("the weights came from ..."). */
export interface WeightsSource {
  /** The safetensors file read. */
  file: string;
  /**
   * `state-dict`: a bare state dict, as PyTorch's `save_file(model.state_dict(), ...)` or
   * `skiplab export --safetensors` write it; `skiplab-checkpoint`: a training checkpoint, the
   * model under `model.` beside the optimizer's buffers.
   */
  format: 'state-dict' | 'skiplab-checkpoint';
  /** A prefix removed from every model key: `model.` (checkpoint), `module.` (nn.DataParallel), or ''. */
  strippedPrefix: string;
  /** Number of model tensors read. */
  tensors: number;
  /** The file's `__metadata__` (PyTorch's writer records `format: pt`), or null. */
  metadata: SafetensorsMetadata | null;
}

/** The file a path names: itself, or a run folder's checkpoint. */
function weightsFile(path: string): string {
  if (!existsSync(path)) throw new WeightsError(`weights ${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return path;
  const checkpoint = join(path, 'checkpoint.safetensors');
  if (!existsSync(checkpoint)) throw new WeightsError(`weights ${path}: a folder without checkpoint.safetensors (give a run folder, a checkpoint, or a .safetensors state dict)`);
  return checkpoint;
}

/** The common prefix every key carries, among the ones whose removal is known to be safe. */
function wrapperPrefix(keys: readonly string[]): string {
  for (const prefix of ['module.']) if (keys.length > 0 && keys.every((k) => k.startsWith(prefix))) return prefix;
  return '';
}

/**
 * A model's state dict from `path` (DESIGN.md decision 3: torchvision's names, so weights trained
 * in PyTorch load as they are): a safetensors state dict, a skiplab training checkpoint, or a run
 * folder (its checkpoint). Keys keep their names except a wrapper's prefix (`model.` of a
 * checkpoint, `module.` of PyTorch's DataParallel).
 *
 * @example
 *   const { state, source } = await readStateDict('resnet18.safetensors');
 */
export async function readStateDict(path: string): Promise<{ state: StateDict; source: WeightsSource }> {
  const file = weightsFile(path);
  const { tensors, metadata } = await loadSafetensorsWithMetadata(file);
  const keys = Object.keys(tensors);
  const checkpoint = keys.some((k) => k.startsWith('model.')) && keys.every((k) => k.startsWith('model.') || k.startsWith('optimizer.'));
  const modelKeys = checkpoint ? keys.filter((k) => k.startsWith('model.')).map((k) => k.slice('model.'.length)) : keys;
  const prefix = wrapperPrefix(modelKeys);
  const state: StateDict = {};
  for (const key of modelKeys) state[key.slice(prefix.length)] = tensors[checkpoint ? `model.${key}` : key]!;
  if (modelKeys.length === 0) throw new WeightsError(`weights ${file}: holds no tensors`);
  return {
    state,
    source: { file, format: checkpoint ? 'skiplab-checkpoint' : 'state-dict', strippedPrefix: checkpoint ? `model.${prefix}` : prefix, tensors: modelKeys.length, metadata },
  };
}

/**
 * Load the weights at `path` into `model` (strict: every key must match both ways and every
 * shape agree, else an error naming the keys, and nothing is changed). A batch norm's
 * `num_batches_tracked` that the file lacks starts at 0, as PyTorch loads state dicts saved
 * before it existed.
 */
export async function loadWeights(model: Module, path: string): Promise<WeightsSource> {
  const { state, source } = await readStateDict(path);
  for (const [key, buffer] of Object.entries(model.stateDict())) {
    if (key.endsWith('num_batches_tracked') && !(key in state)) state[key] = new Tensor(new Int32Array(buffer.size), buffer.shape);
  }
  try {
    model.loadStateDict(state, { source: source.file });
  } catch (error) {
    throw new WeightsError((error as Error).message);
  }
  return source;
}

/**
 * A registered model built with `options` (its architecture must be the one the weights were
 * trained with) and the weights at `path` loaded, with no training: the entry point for
 * analysing weights trained elsewhere.
 *
 * @example
 *   const { model, source } = await modelWithWeights('resnet18', 'resnet18.safetensors');
 *   const { baseline, lesions } = lesionEachBlock(model, batches);
 */
export async function modelWithWeights(name: string, path: string, options: ModelOptions = {}): Promise<{ model: SkipModel; source: WeightsSource }> {
  const model = createModel(name, options);
  const source = await loadWeights(model, path);
  return { model: model.eval(), source };
}
