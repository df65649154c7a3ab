/**
 * The lab's architectures, built through skiplab's own registry and model builders. Each takes
 * `skip: 'none'` to build its plain twin, so two runs can differ in the skips only.
 */
import { weightedModules, skipBlocks, weightLayers } from '../../src/analysis/model-parts.js';
import { DenseNet } from '../../src/models/densenet.js';
import { createModel } from '../../src/models/registry.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import { Rng } from '../../src/tensor/rng.js';
import { ARCHITECTURES } from './architectures.js';
import { DeepMlp } from './deep-mlp.js';
import type { DiagramNode, ModelDescription } from './protocol.js';
import type { LabSettings } from './settings.js';

export interface LabShape {
  channels: number;
  imageSize: number;
  numClasses: number;
}

export function buildLabModel(s: LabSettings, shape: LabShape): SkipModel {
  const rng = new Rng(s.seed);
  const { channels, imageSize, numClasses } = shape;
  const common = { inChannels: channels, numClasses, rng };
  const plain = s.skip === 'none';
  switch (s.architecture) {
    case 'mlp':
      return new DeepMlp({ inFeatures: channels * imageSize * imageSize, depth: s.depth, width: s.width, numClasses, batchNorm: s.batchNorm, rng });
    case 'convnet':
      return createModel('simple_convnet', { ...common, width: s.width, imageSize });
    case 'resnet':
      return createModel('resnet_cifar', { ...common, depth: s.depth, baseWidth: s.width, skip: plain ? 'none' : 'identity' });
    case 'highway':
      return createModel('highway_fc', { numClasses, rng, depth: s.depth, width: s.width, inFeatures: channels * imageSize * imageSize, skip: plain ? 'none' : 'gated' });
    case 'densenet':
      // Huang et al. 2017's basic DenseNet as in their Fig. 5 (L = 40, k = 12 there): three dense
      // blocks of (L − 4)/3 BN-ReLU-Conv(3x3) layers, no bottleneck, no compression, so each
      // layer's weights on every earlier layer's maps can be read directly.
      return new DenseNet({ ...common, growthRate: s.width, blockConfig: Array(3).fill((s.depth - 4) / 3), initFeatures: 2 * s.width, stem: 'cifar', bnSize: 0, compression: 1, skip: plain ? 'none' : 'concat' });
    case 'unet':
      return createModel('unet', { ...common, levels: s.depth, baseWidth: s.width, skip: plain ? 'none' : 'concat', oddSizes: 'pad' });
    default:
      throw new Error(`lab: unknown architecture '${String(s.architecture)}'`);
  }
}

/** A short title: "ResNet-20", "plain ResNet-20", "MLP-20 with batch norm". */
export function modelTitle(s: LabSettings): string {
  const info = ARCHITECTURES[s.architecture];
  const name = info.depths.length > 0 ? `${info.label.split(' ')[0]}-${s.depth}` : info.label;
  if (s.architecture === 'mlp') return `${name}${s.batchNorm ? ' with batch norm' : ''}`;
  if (info.skips.length === 1) return name;
  return s.skip === 'none' ? `plain ${name}` : name;
}

/**
 * The diagram: each weighted layer belongs to the skip block that contains it, if any; the
 * boxes are those blocks and the remaining layers, in forward (construction) order.
 */
export function describeModel(model: SkipModel, s: LabSettings, lesionable: string[]): ModelDescription {
  const blocks = skipBlocks(model).map((b) => b.path);
  const nodes: DiagramNode[] = [];
  for (const [path] of weightedModules(model)) {
    const owner = blocks.find((b) => path === b || path.startsWith(`${b}.`)) ?? path;
    if (nodes[nodes.length - 1]?.path !== owner) nodes.push({ path: owner, label: shortLabel(owner, s.architecture === 'highway' ? 'hw' : 'fc') });
  }
  return {
    title: modelTitle(s),
    parameters: model.parameterCount(),
    nodes,
    edges: model.skips().map((e) => ({ block: e.block, kind: e.kind })),
    lesionable,
    layers: weightLayers(model).map(([name]) => name.replace(/\.weight$/, '')),
  };
}

function shortLabel(path: string, layerPrefix: string): string {
  return path.replace(/^features\./, '').replace(/^layers\./, layerPrefix).replace(/denseblock/, 'dense').replace(/transition/, 'trans').replace(/(\.inner)+/, (m) => `.${m.length / 6}`);
}
