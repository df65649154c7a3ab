/**
 * The lab's architectures, built through skiplab's own registry and model builders. Each takes
 * `skip: false` to build its plain twin, so the two runs differ in the skips only.
 */
import { weightedModules, skipBlocks, weightLayers } from '../../src/analysis/model-parts.js';
import { densenetBcCifar } from '../../src/models/densenet.js';
import { createModel } from '../../src/models/registry.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import { Rng } from '../../src/tensor/rng.js';
import { ARCHITECTURES } from './architectures.js';
import type { DiagramNode, LabSettings, ModelDescription } from './protocol.js';

export function buildLabModel(s: LabSettings, channels: number, imageSize: number, numClasses: number): SkipModel {
  const rng = new Rng(s.seed);
  const common = { inChannels: channels, numClasses, rng };
  switch (s.architecture) {
    case 'mlp':
      return createModel('mlp', { ...common, width: s.width, imageSize });
    case 'convnet':
      return createModel('simple_convnet', { ...common, width: s.width, imageSize });
    case 'resnet':
      return createModel('resnet_cifar', { ...common, depth: s.depth, baseWidth: s.width, skip: s.skip ? 'identity' : 'none' });
    case 'highway':
      return createModel('highway_fc', { numClasses, rng, depth: s.depth, width: s.width, inFeatures: channels * imageSize * imageSize, skip: s.skip ? 'gated' : 'none' });
    case 'densenet':
      return densenetBcCifar(s.depth, { inChannels: channels, numClasses, rng, growthRate: s.width, skip: s.skip ? 'concat' : 'none' });
    default:
      throw new Error(`lab: unknown architecture '${String(s.architecture)}'`);
  }
}

/** A short title: "ResNet-20 (skip)", "plain ResNet-20". */
export function modelTitle(s: LabSettings): string {
  const info = ARCHITECTURES[s.architecture];
  const name = info.depths.length > 0 ? `${info.label.split(' ')[0]}-${s.depth}` : info.label;
  if (!info.hasSkips) return name;
  return s.skip ? `${name} with skips` : `plain ${name}`;
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
    if (nodes[nodes.length - 1]?.path !== owner) nodes.push({ path: owner, label: shortLabel(owner) });
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

function shortLabel(path: string): string {
  return path.replace(/^features\./, '').replace(/^layers\./, 'hw').replace(/denseblock/, 'dense').replace(/transition/, 'trans');
}
