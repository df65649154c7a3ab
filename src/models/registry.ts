import type { ShortcutOption } from '../blocks/shortcuts.js';
import type { SkipKind } from '../blocks/skip.js';
import type { Rng } from '../tensor/rng.js';
import { resnetCifar } from './resnet-cifar.js';
import type { SkipModel } from './skip-model.js';

/**
 * Every option a registered model may take. Each entry lists the ones it accepts and
 * `createModel` rejects the rest by name, so a typo never passes silently.
 */
export interface ModelOptions {
  /** 'none' builds the plain twin; otherwise the model's own skip (the default). */
  skip?: 'identity' | 'none' | 'projection' | 'gated' | 'concat';
  inChannels?: number;
  numClasses?: number;
  rng?: Rng;
  depth?: number;
  shortcut?: ShortcutOption;
  block?: 'basic' | 'preact';
  baseWidth?: number;
  survivalProbability?: number;
  zeroInitResidual?: boolean;
  growthRate?: number;
  compression?: number;
  width?: number;
  inFeatures?: number;
  gateBias?: number;
  levels?: number;
  oddSizes?: 'crop' | 'pad';
  imageSize?: number;
  dim?: number;
  heads?: number;
  layers?: number;
  dropout?: number;
}

export type ModelOptionName = Exclude<keyof ModelOptions, 'rng'>;

export interface ModelInfo {
  name: string;
  /** Paper (and section/table) the model follows. */
  paper: string;
  description: string;
  /** A sample input shape without the batch axis, used for listings and tests. */
  inputShape: readonly number[];
  /** The skip kinds of the default (non-plain) model. */
  skipKinds: readonly SkipKind[];
  /** Parameter count published by the paper or torchvision, and how exact it is. */
  published?: { parameters: number; tolerance: number; source: string };
  /** Options this model accepts besides `rng`. */
  options: readonly ModelOptionName[];
}

interface ModelEntry extends ModelInfo {
  build(options: ModelOptions): SkipModel;
}

const common: ModelOptionName[] = ['skip', 'inChannels', 'numClasses'];
const cifarResNetOptions: ModelOptionName[] = [...common, 'shortcut', 'block', 'baseWidth', 'survivalProbability', 'zeroInitResidual'];

const entries: ModelEntry[] = [];

function register(entry: ModelEntry): void {
  if (entries.some((e) => e.name === entry.name)) throw new Error(`model registry: '${entry.name}' registered twice`);
  entries.push(entry);
}

function residualSkip(skip: ModelOptions['skip'], model: string): 'identity' | 'none' {
  if (skip === undefined || skip === 'identity' || skip === 'none') return skip ?? 'identity';
  throw new Error(`${model}: skip '${skip}' is not 'identity' or 'none'`);
}

// He et al. 2015, Table 6: CIFAR-10 ResNets of depth 6n + 2 with option A shortcuts.
const cifarPublished: Record<number, number> = { 20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6 };
for (const depth of [20, 32, 44, 56, 110]) {
  register({
    name: `resnet${depth}`,
    paper: 'He et al. 2015, §4.2 and Table 6',
    description: `CIFAR ResNet-${depth} (3 stages of ${(depth - 2) / 6} basic blocks, 16/32/64 channels, option A)`,
    inputShape: [3, 32, 32],
    skipKinds: ['identity', 'zero-pad'],
    published: { parameters: cifarPublished[depth]!, tolerance: 0.005e6 + (depth === 110 ? 0.045e6 : 0), source: 'He et al. 2015, Table 6 (rounded to 0.01M; 0.1M for 110)' },
    options: cifarResNetOptions,
    build: (o) => resnetCifar({ ...o, depth, skip: residualSkip(o.skip, `resnet${depth}`) }),
  });
}
register({
  name: 'resnet_cifar',
  paper: 'He et al. 2015, §4.2',
  description: 'CIFAR ResNet of any depth 6n + 2 (option `depth`, default 20)',
  inputShape: [3, 32, 32],
  skipKinds: ['identity', 'zero-pad'],
  options: [...cifarResNetOptions, 'depth'],
  build: (o) => resnetCifar({ ...o, depth: o.depth ?? 20, skip: residualSkip(o.skip, 'resnet_cifar') }),
});

/** Names of every registered model, in registration order. */
export function modelNames(): string[] {
  return entries.map((e) => e.name);
}

/** What the registry holds: name, paper, sample input, skip kinds, published size, options. */
export function listModels(): ModelInfo[] {
  return entries.map(({ build: _build, ...info }) => info);
}

/**
 * Build a registered model by name: `createModel('resnet56')`, `createModel('resnet20',
 * { skip: 'none' })` for the plain twin, `createModel('resnet_cifar', { depth: 8, inChannels: 1 })`.
 */
export function createModel(name: string, options: ModelOptions = {}): SkipModel {
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new Error(`createModel: unknown model '${name}'; known models: ${modelNames().join(', ')}`);
  for (const [key, value] of Object.entries(options)) {
    if (key === 'rng' || value === undefined) continue;
    if (!(entry.options as readonly string[]).includes(key)) {
      throw new Error(`createModel('${name}'): option '${key}' is not accepted; accepted options: ${entry.options.join(', ')}`);
    }
  }
  return entry.build(options);
}
