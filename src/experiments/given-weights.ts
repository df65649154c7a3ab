import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Rng } from '../tensor/rng.js';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { runDataShape } from '../train/datasets.js';
import { RunDirectory } from '../train/run-store.js';
import { buildRunModel } from '../train/run-training.js';
import { CheckpointError, UserInputError } from '../util/errors.js';
import type { GivenWeights } from './analysis/settings.js';
import { fileSha256, loadPinnedWeights } from './weights-file.js';

/**
 * Weights trained elsewhere, as the user names them: a skiplab run folder, a checkpoint or weight
 * snapshot inside one (the model comes from its config.json), or any safetensors state dict —
 * e.g. PyTorch's, with torchvision's names — together with `--model` (and its options).
 */
export interface WeightsRequest {
  path: string;
  model?: string;
  modelOptions?: Record<string, string | number | boolean>;
}

export interface ResolvedWeights {
  weights: GivenWeights;
  /** The training config of the run the weights come from, when they come from a run folder. */
  run: TrainConfig | null;
}

/** The run folder a weights file sits in (its own folder, or the one above `weights/`), if any. */
function runFolderOf(file: string): string | null {
  for (const dir of [dirname(file), dirname(dirname(file))]) if (existsSync(join(dir, 'config.json'))) return dir;
  return null;
}

export function resolveWeights(request: WeightsRequest): ResolvedWeights {
  const path = resolve(request.path);
  if (!existsSync(path)) throw new UserInputError(`--weights: ${path} does not exist`);
  let file = path;
  let runDir: string | null = null;
  if (statSync(path).isDirectory()) {
    runDir = path;
    file = new RunDirectory(path).checkpointPath;
    if (!existsSync(file)) throw new CheckpointError(`--weights: run folder ${path} has no checkpoint yet (${basename(file)})`);
  } else if (!request.model) {
    runDir = runFolderOf(path);
  }
  let run: TrainConfig | null = null;
  if (runDir && !request.model) run = new RunDirectory(runDir).readConfig(trainConfigSchema);
  if (!run && !request.model) throw new UserInputError(`--weights: ${path} is not in a skiplab run folder (no config.json beside it); name its model with --model (see \`skiplab models\`)`);
  return {
    run,
    weights: {
      file, sha256: fileSha256(file),
      model: run?.model ?? request.model!,
      modelOptions: run?.modelOptions ?? request.modelOptions ?? {},
    },
  };
}

/**
 * Build the model the weights are for, shaped for `config`'s data, and load them (strict), so a
 * wrong model, option or file is an error now rather than in every measurement job.
 */
export async function checkWeightsFit(weights: GivenWeights, config: Pick<TrainConfig, 'dataset' | 'segmentation' | 'dataDir'>): Promise<void> {
  const full = trainConfigSchema.parse({ model: weights.model, modelOptions: weights.modelOptions, dataset: config.dataset, segmentation: config.segmentation, dataDir: config.dataDir, epochs: 1 });
  let model;
  try {
    model = buildRunModel(full, runDataShape(full), new Rng(0));
  } catch (error) {
    throw new UserInputError(`--model ${weights.model}: ${(error as Error).message}`);
  }
  await loadPinnedWeights(model, weights.file, weights.sha256);
}
