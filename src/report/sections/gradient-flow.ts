import type { GradientFlowModel, GradientFlowResults } from '../../experiments/results/gradient-flow.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { smallMultiples, type LineSeries } from '../plots.js';
import { num, pct, runNote, type SeedSection } from './common.js';

type Seed = GradientFlowResults['seeds'][number];

/** First-layer over last-layer activation-gradient norm of one snapshot (≪ 1: vanishing). */
function activationRatio(m: GradientFlowModel, index: number): number {
  const layers = m.snapshots[index]!.layers;
  return layers[0]!.activationGradientNorm / layers[layers.length - 1]!.activationGradientNorm;
}

export async function gradientFlowSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  // One panel per snapshot: initialisation, then after each epoch.
  const epochs = r.models[0]!.snapshots.map((snap) => snap.epoch);
  const figure = await smallMultiples({
    title: `Gradient reaching each layer${r.depth === null ? '' : ` (depth ${r.depth})`}`, subtitle: '‖∂L/∂y‖ per example at each weighted layer, log scale',
    xLabel: 'layer (1 = input side)', yLabel: '‖∂L/∂y‖', yScale: 'log',
    panels: epochs.map((epoch, index) => ({
      title: epoch === 0 ? 'at initialisation' : `after epoch ${epoch}`,
      series: r.models.map((m): LineSeries => ({ name: m.name, points: m.snapshots[index]!.layers.map((l) => ({ x: l.depth + 1, y: l.activationGradientNorm })) })),
    })),
  });
  const weights = await smallMultiples({
    title: 'Weight-gradient norm by depth', subtitle: '‖∂L/∂W‖ per layer, log scale', xLabel: 'layer', yLabel: '‖∂L/∂W‖', yScale: 'log',
    panels: [{ title: 'at initialisation', series: r.models.map((m) => ({ name: m.name, points: m.snapshots[0]!.layers.map((l) => ({ x: l.depth + 1, y: Math.max(l.weightGradientNorm, 1e-12) })) })) }],
  });
  const rows = r.models.map((m) => [m.name, m.weightedLayers, m.parameters, m.lr, num(activationRatio(m, 0)), num(m.snapshots[0]!.convActivationRatio), num(m.snapshots[m.snapshots.length - 1]!.convActivationRatio), num(m.snapshots[0]!.firstToLastRatio), pct(m.trainError[m.trainError.length - 1])]);
  return {
    id: 'gradient-flow',
    title: 'Gradient flow: vanishing gradients or not',
    blocks: [
      paragraphBlock(`Per-layer gradient norms on one fixed batch, at initialisation and after each epoch, for ${r.depth === null ? 'the given model' : `plain (with and without batch norm), residual, highway and dense nets of ${r.depth} layers`}. He et al. (2016, §4.1) argue their batch-normalised plain nets degrade without vanishing gradients; the plain net without BN is the reference for what vanishing looks like. ${runNote(header, r.seed)}`),
      figureBlock(figure, 'Gradient norm at each weighted layer\'s output (log scale); a flat line would mean the gradient reaches the input side undiminished.'),
      figureBlock(weights, 'Gradient norm of each layer\'s weights at initialisation (highway nets count transform and gate as two layers).'),
      tableBlock(['model', 'weighted layers', 'parameters', 'learning rate', '‖∂L/∂y‖ first/last layer (init)', 'first/last conv RMS (init)', 'first/last conv RMS (end)', '‖∂L/∂W‖ first/last (init)', 'final training error'], rows, { caption: 'Gradient ratios between the input side and the output side; the conv RMS ratio compares per-element root mean squares of ∂L/∂y at the first and last convolution, so tensor sizes cancel. Ratios ≪ 1 would mean the gradient vanishes towards the input.' }),
    ],
  };
}
