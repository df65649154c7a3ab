import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { buildOnnxModel } from '../../io/onnx/export.js';
import { encodeSafetensors, loadSafetensorsWithMetadata } from '../../io/safetensors.js';
import { OWNER_FILE } from '../../io/folder-lock.js';
import { createModel, listModels, type ModelOptions } from '../../models/registry.js';
import type { Module, StateDict } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { isCheckpointMetadata, verifyCheckpoint } from '../../train/checkpoint.js';
import { trainConfigSchema } from '../../train/config.js';
import { runDataShape } from '../../train/datasets.js';
import { modelOptionsForData } from '../../train/model-input.js';
import { RunDirectory } from '../../train/run-store.js';
import { UserInputError } from '../../util/errors.js';

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

interface Source {
  name: string;
  model: Module;
  inputShape: number[];
  /** Files an export must never write over: the weights read and the run folder's own files. */
  protectedFiles: string[];
}

/** The model a source describes, with its weights loaded (strict: every key must match). */
async function loadSource(request: ExportRequest): Promise<Source> {
  const { source } = request;
  if (!existsSync(source)) throw new UserInputError(`export: ${source} does not exist`);
  let run: RunDirectory | null = null;
  let weights = source;
  if (statSync(source).isDirectory()) {
    run = new RunDirectory(source);
    weights = run.checkpointPath;
    if (!existsSync(weights)) throw new UserInputError(`export: run folder ${source} has no checkpoint yet (${weights})`);
  } else if (!request.model && existsSync(join(dirname(source), 'config.json'))) {
    run = new RunDirectory(dirname(source));
  }
  if (!run && !request.model) throw new UserInputError(`export: ${source} is not in a run folder (no config.json beside it); name its model with --model`);
  const contents = await loadSafetensorsWithMetadata(weights);
  // A skiplab checkpoint is verified against its checksums, and keeps the model under `model.`.
  const tensors = isCheckpointMetadata(contents.metadata) ? verifyCheckpoint(weights, contents).tensors : contents.tensors;
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
    const data = runDataShape(config);
    name = config.model;
    model = createModel(name, modelOptionsForData(name, config.modelOptions, data, run.configPath));
    inputShape = [data.channels, data.height, data.width];
  } else {
    name = request.model!;
    model = createModel(name, request.modelOptions ?? {});
    const info = listModels().find((m) => m.name === name)!;
    inputShape = [...info.inputShape];
    if (request.modelOptions?.inChannels !== undefined) inputShape[0] = request.modelOptions.inChannels;
  }
  model.loadStateDict(state, { source: weights });
  const runFiles = run ? [run.configPath, run.metricsPath, run.checkpointPath, run.checkpointInfoPath, run.summaryPath, join(run.path, OWNER_FILE)] : [];
  return { name, model, inputShape: request.inputShape ?? inputShape, protectedFiles: [weights, ...runFiles] };
}

/** A path with its folder's symlinks resolved (the file itself may not exist yet). */
function canonical(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const folder = dirname(resolve(path));
  return join(existsSync(folder) ? realpathSync(folder) : folder, basename(path));
}

/** Refuse outputs that would overwrite the source or the run folder's files, or each other. */
function checkOutputs(outputs: { flag: string; path: string }[], protectedFiles: string[]): void {
  const guarded = new Map(protectedFiles.map((f) => [canonical(f), f]));
  const guardedInodes = protectedFiles.filter((f) => existsSync(f)).map((f) => statSync(f)).map((s) => `${s.dev}:${s.ino}`);
  const seen = new Map<string, string>();
  for (const { flag, path } of outputs) {
    const target = canonical(path);
    const file = guarded.get(target) ?? (existsSync(path) && guardedInodes.includes(`${statSync(path).dev}:${statSync(path).ino}`) ? path : undefined);
    if (file) throw new UserInputError(`export: ${flag} ${path} would overwrite ${file}, which the export reads from (the run could no longer resume); write the export elsewhere`);
    const other = seen.get(target);
    if (other) throw new UserInputError(`export: ${flag} ${path} is the same file as ${other}; give two different paths`);
    seen.set(target, `${flag} ${path}`);
    const folder = dirname(resolve(path));
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UserInputError(`export: ${flag} ${path}: folder ${folder} does not exist`);
    if (existsSync(path) && statSync(path).isDirectory()) throw new UserInputError(`export: ${flag} ${path} is a folder; give a file path`);
  }
}

/**
 * Export a trained model: `--onnx` traces it in eval mode into an ONNX file (opset 17, dynamic
 * batch), `--safetensors` writes its state dict under torchvision's names, which
 * `torchvision.models.resnet18(...).load_state_dict(..., strict=True)` accepts. Every output is
 * checked and built in memory first (a wrong input shape fails the ONNX trace here), and only
 * then written, each atomically — so a failed export leaves no file behind and never touches
 * the run it reads.
 */
export async function exportModel(request: ExportRequest): Promise<ExportResult> {
  if (!request.onnx && !request.safetensors) throw new UserInputError('export: give --onnx PATH and/or --safetensors PATH');
  const outputs = [
    ...(request.safetensors ? [{ flag: '--safetensors', path: request.safetensors }] : []),
    ...(request.onnx ? [{ flag: '--onnx', path: request.onnx }] : []),
  ];
  const { name, model, inputShape, protectedFiles } = await loadSource(request);
  checkOutputs(outputs, protectedFiles);
  const result: ExportResult = { model: name, parameters: model.parameterCount(), inputShape };
  const files: { path: string; bytes: Uint8Array }[] = [];
  if (request.onnx) {
    const sample = new Tensor(new Float32Array(inputShape.reduce((a, b) => a * b, 1)), [1, ...inputShape]);
    let summary;
    try {
      summary = buildOnnxModel(model, sample);
    } catch (error) {
      throw new UserInputError(`export: tracing ${name} on an input of shape (1, ${inputShape.join(', ')}) failed: ${(error as Error).message}`);
    }
    const nodes = Object.values(summary.nodeCounts).reduce((a, b) => a + b, 0);
    result.onnx = { path: request.onnx, nodes, initializers: summary.initializers, outputShape: summary.outputShape };
    files.push({ path: request.onnx, bytes: summary.bytes });
  }
  if (request.safetensors) {
    const state = model.stateDict();
    // `format: pt` is what safetensors' own PyTorch writer records.
    files.push({ path: request.safetensors, bytes: encodeSafetensors(state, { format: 'pt' }) });
    result.safetensors = { path: request.safetensors, tensors: Object.keys(state).length };
  }
  for (const file of files) await writeFileAtomic(file.path, file.bytes);
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
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) throw new UserInputError(`export: --input-shape '${text}' is not a list of positive integers like 3,32,32`);
  return shape;
}

function parseModelOptions(text: string): ModelOptions {
  try {
    return JSON.parse(text) as ModelOptions;
  } catch {
    throw new UserInputError(`export: --model-options '${text}' is not JSON (e.g. '{"depth": 20}')`);
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
