import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { PathsResults } from '../../experiments/results/paths.js';
import type { PathsCalibrationRun } from '../../experiments/results/pytorch-calibration.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { lineChart } from '../plots.js';
import { calibrationOfKind, calibrationRuns, type LoadedCalibration } from '../claims/calibration.js';
import { distributionWindow, gradientWeightedLength } from '../claims/paths.js';
import { num, pct, runNote, type SeedSection } from './common.js';

type Seed = PathsResults['seeds'][number];

/** PyTorch's complete run of the seed's net (null: not run yet), or undefined without a calibration of the same recipe. */
function torchRun(r: Seed, calibration: LoadedCalibration | null): { run: PathsCalibrationRun | null; framework: string; path: string } | undefined {
  const torch = calibrationOfKind(calibration, 'paths');
  if (torch === null || torch.mismatches.length > 0 || r.depth === null) return undefined;
  return { run: calibrationRuns(torch.calibration, true, r.depth).find((run) => run.seed === r.seed) ?? null, framework: torch.calibration.framework, path: torch.path };
}

export async function pathsSection(r: Seed, header: AnalysisResultsHeader, calibration: LoadedCalibration | null = null): Promise<SeedSection> {
  const torch = torchRun(r, calibration);
  const torchSeries = (points: { x: number; y: number }[]) => (torch?.run ? [{ name: 'PyTorch', points }] : []);
  const distribution = await lineChart({
    title: `Paths of each length in a ${r.blocks}-block residual net`, subtitle: 'fraction of the 2^n paths, Binomial(n, 1/2)', xLabel: 'path length k (residual branches passed)', yLabel: 'fraction of paths',
    series: [{ name: 'C(n, k) / 2^n', points: r.distribution.map((d) => ({ x: d.length, y: d.fraction })) }], legend: 'none',
  });
  const gradient = await lineChart({
    title: 'Gradient magnitude reaching the input per path length', subtitle: 'mean per-example ‖∂L/∂x₀‖ over sampled paths, log scale', xLabel: 'path length k', yLabel: 'gradient norm', yScale: 'log',
    series: [
      { name: 'sampled paths', points: r.gradientByLength.flatMap((g) => (g.gradientNorm !== null && g.gradientNorm > 0 ? [{ x: g.length, y: g.gradientNorm }] : [])) },
      ...torchSeries((torch?.run?.gradientByLength ?? []).filter((g) => g.gradientNorm > 0).map((g) => ({ x: g.length, y: g.gradientNorm }))),
    ], legend: torch?.run ? 'right' : 'none',
  });
  const contribution = await lineChart({
    title: 'Total gradient contribution per path length', subtitle: 'count(k) × gradient(k), normalised', xLabel: 'path length k', yLabel: 'share of the gradient',
    series: [{ name: 'contribution', points: r.contribution.map((c) => ({ x: c.length, y: c.share ?? 0 })) }, ...torchSeries((torch?.run?.contribution ?? []).map((c) => ({ x: c.length, y: c.share })))],
    legend: torch?.run ? 'right' : 'none',
    referenceLines: [{ axis: 'x', value: r.effectiveRange.from, label: 'effective range' }, { axis: 'x', value: r.effectiveRange.to }],
  });
  const { from, to, coverage } = r.effectiveRange;
  const window = distributionWindow(r);
  const model = r.depth === null ? 'given model' : `ResNet-${r.depth}`;
  return {
    id: 'paths',
    title: 'Residual nets as ensembles of paths (Veit et al. 2016)',
    blocks: [
      paragraphBlock(`Each of the 2^n paths passes through k residual branches and n − k skips. Paths are sampled by routing the backward pass through the branch of k random blocks and the skip of the others (forward values unchanged), and the gradient reaching the first block's input is measured. ${runNote(header, r.seed)}`),
      figureBlock(distribution, `Path-length distribution of the ${r.blocks}-block ${model}: Binomial(${r.blocks}, 1/2), which alone puts ${pct(window.coverage, 0)} of the paths at lengths ${window.from}–${window.to}.`),
      figureBlock(gradient, 'Gradient magnitude reaching the input per path length, over the sampled paths.'),
      figureBlock(contribution, `Their product: lengths ${from}–${to} carry ${pct(coverage, 0)} of the gradient, against ${window.from}–${window.to} for the paths' count alone.`),
      tableBlock(['window', 'lengths', 'share', 'as a fraction of the blocks'], [
        ['measured (gradient × count)', `${from}–${to}`, pct(coverage, 0), `${pct(from / r.blocks, 0)}–${pct(to / r.blocks, 0)}`],
        ['distribution only (count)', `${window.from}–${window.to}`, pct(window.coverage, 0), `${pct(window.from / r.blocks, 0)}–${pct(window.to / r.blocks, 0)}`],
        ...(torch ? [torch.run?.effectiveRange
          ? [`PyTorch, seed ${r.seed} (gradient × count)`, `${torch.run.effectiveRange.from}–${torch.run.effectiveRange.to}`, pct(torch.run.effectiveRange.coverage, 0), `${pct(torch.run.effectiveRange.from / r.blocks, 0)}–${pct(torch.run.effectiveRange.to / r.blocks, 0)}`]
          : [`PyTorch, seed ${r.seed} (not run yet)`, '–', '–', '–']] : []),
        [`Veit et al. (${r.paper.model})`, `${r.paper.effectiveFrom}–${r.paper.effectiveTo} of ${r.paper.blocks}`, '–', `${pct(r.paper.effectiveFrom / r.paper.blocks, 0)}–${pct(r.paper.effectiveTo / r.paper.blocks, 0)}`],
      ], { caption: `Smallest windows of path lengths holding the share; the gradient-weighted mean path length is ${num(gradientWeightedLength(r), 2)}${torch?.run ? ` (PyTorch: ${num(torch.run.gradientWeightedLength, 2)})` : ''} against ${num(r.blocks / 2, 1)} for the count alone.${torch ? ` PyTorch: the same net's recipe, data, seed, test images and sampling in ${torch.framework} (${torch.path}).` : ''}` }),
      tableBlock(['k', 'paths', 'gradient norm', 'share'], r.gradientByLength.map((g) => [g.length, num(r.distribution[g.length]!.count, 0), num(g.gradientNorm, 4), pct(r.contribution[g.length]!.share, 1)]), { caption: 'Per path length.' }),
    ],
  };
}
