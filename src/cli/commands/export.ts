import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { imageFolderClassNames } from '../../data/image-folder.js';
import { exportOnnx } from '../../io/onnx/export-file.js';
import { loadSafetensorsWithMetadata, saveSafetensors } from '../../io/safetensors.js';
import { createModel, listModels, type ModelOptions } from '../../models/registry.js';
import type { Module, StateDict } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { trainConfigSchema, type TrainConfig } from '../../train/config.js';
import { RunDirectory } from '../../train/run-store.js';

/** Channels, classes and image shape of each training dataset, as prepareRun builds models for them. */
function datasetGeometry(config: TrainConfig): { inChannels: number; numClasses: number; inputShape: number[] } {
  switch (config.dataset) {
    case 'mnist':
    case 'fashion-mnist':
      return { inChannels: 1, numClasses: 10, inputShape: [1, 28, 28] };
    case 'cifar10':
      return { inChannels: 3, numClasses: 10, inputShape: [3, 32, 32] };
    case 'folder': {
      // The class count is the number of class folders, so the images must still be where they were.
      const size = config.imageSize ?? 32;
      return { inChannels: 3, numClasses: imageFolderClassNames(config.dataDir!).length, inputShape: [3, size, size] };
    }
  }
}

export interface ExportRequest {
  /** A run folder, a checkpoint file inside one, or a state-dict safetensors file (with `model`). */
  source: string;
  onnx?: string;
  safetensors?: string;
  /** Registry name, for a bare state-dict file. */
  model?: string;
  modelOptions?: ModelOptions;
  /** Input shape without the batch axis (default: the run's dataset, else the registry's sample). */
  inputShape?: number[];
}

export interface ExportResult {
  model: string;
  parameters: number;
  inputShape: number[];
  onnx?: { path: string; nodes: number; initializers: number; outputShape: readonly number[] };
  safetensors?: { path: string; tensors: number };
}

/** The model a source describes, with its weights loaded (strict: every key must match). */
async function loadSource(request: ExportRequest): Promise<{ name: string; model: Module; inputShape: number[] }> {
  const { source } = request;
  if (!existsSync(source)) throw new Error(`export: ${source} does not exist`);
  let run: RunDirectory | null = null;
  let weights = source;
  if (statSync(source).isDirectory()) {
    run = new RunDirectory(source);
    weights = run.checkpointPath;
    if (!existsSync(weights)) throw new Error(`export: run folder ${source} has no checkpoint yet (${weights})`);
  } else if (!request.model && existsSync(join(dirname(source), 'config.json'))) {
    run = new RunDirectory(dirname(source));
  }
  if (!run && !request.model) throw new Error(`export: ${source} is not in a run folder (no config.json beside it); name its model with --model`);
  const { tensors } = await loadSafetensorsWithMetadata(weights);
  // A checkpoint keeps the model under `model.` next to the optimizer's buffers.
  const isCheckpoint = Object.keys(tensors).some((k) => k.startsWith('model.'));
  const state: StateDict = {};
  for (const [key, t] of Object.entries(tensors)) {
    if (!isCheckpoint) state[key] = t;
    else if (key.startsWith('model.')) state[key.slice('model.'.length)] = t;
  }
  let name: string;
  let model: Module;
  let inputShape: number[];
  if (run && !request.model) {
    const config = run.readConfig(trainConfigSchema);
    const geometry = datasetGeometry(config);
    name = config.model;
    model = createModel(name, { ...(config.modelOptions as ModelOptions), inChannels: geometry.inChannels, numClasses: geometry.numClasses });
    inputShape = geometry.inputShape;
  } else {
    name = request.model!;
    model = createModel(name, request.modelOptions ?? {});
    const info = listModels().find((m) => m.name === name)!;
    inputShape = [...info.inputShape];
    if (request.modelOptions?.inChannels !== undefined) inputShape[0] = request.modelOptions.inChannels;
  }
  model.loadStateDict(state, { source: weights });
  return { name, model, inputShape: request.inputShape ?? inputShape };
}

/**
 * Export a trained model: `--onnx` traces it in eval mode into an ONNX file (opset 17, dynamic
 * batch), `--safetensors` writes its state dict under torchvision's names, which
 * `torchvision.models.resnet18(...).load_state_dict(..., strict=True)` accepts.
 */
export async function exportModel(request: ExportRequest): Promise<ExportResult> {
  if (!request.onnx && !request.safetensors) throw new Error('export: give --onnx PATH and/or --safetensors PATH');
  const { name, model, inputShape } = await loadSource(request);
  const result: ExportResult = { model: name, parameters: model.parameterCount(), inputShape };
  if (request.safetensors) {
    const state = model.stateDict();
    // `format: pt` is what safetensors' own PyTorch writer records.
    await saveSafetensors(request.safetensors, state, { format: 'pt' });
    result.safetensors = { path: request.safetensors, tensors: Object.keys(state).length };
  }
  if (request.onnx) {
    const sample = new Tensor(new Float32Array(inputShape.reduce((a, b) => a * b, 1)), [1, ...inputShape]);
    const summary = await exportOnnx(model, sample, request.onnx);
    const nodes = Object.values(summary.nodeCounts).reduce((a, b) => a + b, 0);
    result.onnx = { path: request.onnx, nodes, initializers: summary.initializers, outputShape: summary.outputShape };
  }
  return result;
}

interface ExportFlags {
  onnx?: string;
  safetensors?: string;
  model?: string;
  modelOptions?: string;
  inputShape?: string;
  json?: boolean;
}

function parseShape(text: string): number[] {
  const shape = text.split(',').map((s) => Number(s.trim()));
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`export: --input-shape '${text}' is not a list of positive integers like 3,32,32`);
  return shape;
}

function parseModelOptions(text: string): ModelOptions {
  try {
    return JSON.parse(text) as ModelOptions;
  } catch {
    throw new Error(`export: --model-options '${text}' is not JSON (e.g. '{"depth": 20}')`);
  }
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a trained model to ONNX and/or safetensors with torchvision names')
    .argument('<source>', 'run folder, checkpoint file, or state-dict safetensors (with --model)')
    .option('--onnx <path>', 'write an ONNX model (opset 17, dynamic batch)')
    .option('--safetensors <path>', 'write the state dict (torchvision names)')
    .option('--model <name>', 'registry name of the model, for a state-dict file outside a run folder')
    .option('--model-options <json>', 'options for --model, as JSON')
    .option('--input-shape <C,H,W>', 'input shape without the batch axis (default: from the run or the registry)')
    .option('--json', 'print the result as JSON')
    .action(async (source: string, flags: ExportFlags) => {
      const result = await exportModel({
        source, onnx: flags.onnx, safetensors: flags.safetensors, model: flags.model,
        modelOptions: flags.modelOptions ? parseModelOptions(flags.modelOptions) : undefined,
        inputShape: flags.inputShape ? parseShape(flags.inputShape) : undefined,
      });
      if (flags.json) return void process.stdout.write(JSON.stringify(result) + '\n');
      const lines = [`${result.model}: ${result.parameters} parameters, input (N, ${result.inputShape.join(', ')})`];
      if (result.safetensors) lines.push(`safetensors: ${result.safetensors.path} (${result.safetensors.tensors} tensors)`);
      if (result.onnx) lines.push(`onnx: ${result.onnx.path} (opset 17, ${result.onnx.nodes} nodes, ${result.onnx.initializers} initializers, output (N, ${result.onnx.outputShape.slice(1).join(', ')}))`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
