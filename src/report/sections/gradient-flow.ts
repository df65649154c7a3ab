import type { GradientFlowModel, GradientFlowResults } from '../../experiments/results/gradient-flow.js';
import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { smallMultiples, type LineSeries } from '../plots.js';
import { num, pct, runNote } from './common.js';

type Seed = GradientFlowResults['seeds'][number];

/** First-layer over last-layer activation-gradient norm of one snapshot (≪ 1: vanishing). */
function activationRatio(m: GradientFlowModel, index: number): number {
  const layers = m.snapshots[index]!.layers;
  return layers[0]!.activationGradientNorm / layers[layers.length - 1]!.activationGradientNorm;
}

export async function gradientFlowSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
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
  const rows = r.models.map((m) => [m.name, m.weightedLayers, m.parameters, m.lr, num(activationRatio(m, 0)), num(activationRatio(m, m.snapshots.length - 1)), num(m.snapshots[0]!.firstToLastRatio), pct(m.trainError[m.trainError.length - 1])]);
  const plain = r.models.find((m) => m.family === 'plain');
  const noBn = r.models.find((m) => m.family === 'plain-no-bn');
  const residual = r.models.find((m) => m.family === 'residual');
  const only = r.models.length === 1 ? r.models[0]! : null;
  let conclusion = only
    ? `At the given weights, the first layer of ${only.name} receives ${num(activationRatio(only, 0), 3)}× the last layer's gradient ${activationRatio(only, 0) < 0.1 ? '(vanishing)' : '(no vanishing)'}.`
    : 'Not enough models to compare.';
  if (plain && noBn && residual) {
    const [p, n] = [activationRatio(plain, 0), activationRatio(noBn, 0)];
    const vanishes = (v: number) => v < 0.1;
    const pErr = plain.trainError[plain.trainError.length - 1]!;
    const rErr = residual.trainError[residual.trainError.length - 1]!;
    conclusion = `At initialisation the first layer of ${plain.name} (with BN) receives ${num(p, 2)}× the last layer's gradient${vanishes(p) ? ' (vanishing)' : ' (no vanishing)'}, against ${num(n, 3)}× without BN${vanishes(n) ? ' (vanishing)' : ''}; ` +
      (!vanishes(p) && pErr > rErr
        ? `yet the BN plain net still ends at ${pct(pErr)} training error vs ${pct(rErr)} for ${residual.name}, so the data supports He et al.: its optimisation difficulty is not vanishing gradients.`
        : `${plain.name} ends at ${pct(pErr)} training error vs ${pct(rErr)} for ${residual.name}.`);
  }
  return {
    id: 'gradient-flow',
    title: 'Gradient flow: vanishing gradients or not',
    conclusion,
    blocks: [
      paragraphBlock(`Per-layer gradient norms on one fixed batch, at initialisation and after each epoch, for ${r.depth === null ? 'the given model' : `plain (with and without batch norm), residual, highway and dense nets of ${r.depth} layers`}. He et al. (2015, §4.1) argue their batch-normalised plain nets degrade without vanishing gradients; the plain net without BN shows what vanishing looks like. ${runNote(header, r.seed)}`),
      figureBlock(figure, 'Gradient norm at each weighted layer\'s output (log scale): flat lines mean the gradient reaches the input side undiminished.'),
      figureBlock(weights, 'Gradient norm of each layer\'s weights at initialisation (highway nets count transform and gate as two layers).'),
      tableBlock(['model', 'weighted layers', 'parameters', 'learning rate', '‖∂L/∂y‖ first/last (init)', 'first/last (end)', '‖∂L/∂W‖ first/last (init)', 'final training error'], rows, { caption: 'Ratios ≪ 1 mean the gradient vanishes towards the input.' }),
    ],
  };
}
