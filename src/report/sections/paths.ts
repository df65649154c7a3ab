import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { PathsResults } from '../../experiments/results/paths.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { lineChart } from '../plots.js';
import { num, pct, runNote } from './common.js';

type Seed = PathsResults['seeds'][number];

export async function pathsSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
  const distribution = await lineChart({
    title: `Paths of each length in a ${r.blocks}-block residual net`, subtitle: 'fraction of the 2^n paths, Binomial(n, 1/2)', xLabel: 'path length k (residual branches passed)', yLabel: 'fraction of paths',
    series: [{ name: 'C(n, k) / 2^n', points: r.distribution.map((d) => ({ x: d.length, y: d.fraction })) }], legend: 'none',
  });
  const gradient = await lineChart({
    title: 'Gradient magnitude reaching the input per path length', subtitle: 'mean per-example ‖∂L/∂x₀‖ over sampled paths, log scale', xLabel: 'path length k', yLabel: 'gradient norm', yScale: 'log',
    series: [{ name: 'sampled paths', points: r.gradientByLength.flatMap((g) => (g.gradientNorm !== null && g.gradientNorm > 0 ? [{ x: g.length, y: g.gradientNorm }] : [])) }], legend: 'none',
  });
  const contribution = await lineChart({
    title: 'Total gradient contribution per path length', subtitle: 'count(k) × gradient(k), normalised', xLabel: 'path length k', yLabel: 'share of the gradient',
    series: [{ name: 'contribution', points: r.contribution.map((c) => ({ x: c.length, y: c.share ?? 0 })) }], legend: 'none',
    referenceLines: [{ axis: 'x', value: r.effectiveRange.from, label: 'effective range' }, { axis: 'x', value: r.effectiveRange.to }],
  });
  const { from, to, coverage } = r.effectiveRange;
  const norms = r.gradientByLength.map((g) => g.gradientNorm ?? NaN);
  const decay = norms.length > 1 ? norms[norms.length - 1]! / norms[0]! : NaN;
  const model = r.depth === null ? 'given model' : `ResNet-${r.depth}`;
  return {
    id: 'paths',
    title: 'Residual nets as ensembles of paths (Veit et al. 2016)',
    conclusion: `In the ${r.blocks}-block ${model}, paths of length ${from}–${to} (${pct(from / r.blocks, 0)}–${pct(to / r.blocks, 0)} of the blocks) carry ${pct(coverage, 0)} of the gradient, while the gradient through a path of all ${r.blocks} branches is ${num(decay, 3)}× that of the skip-only path; Veit et al. found ${r.paper.effectiveFrom}–${r.paper.effectiveTo} of ${r.paper.blocks} blocks (${pct(r.paper.effectiveFrom / r.paper.blocks, 0)}–${pct(r.paper.effectiveTo / r.paper.blocks, 0)}) for ${r.paper.model}.`,
    blocks: [
      paragraphBlock(`Each of the 2^n paths passes through k residual branches and n − k skips. Paths are sampled by routing the backward pass through the branch of k random blocks and the skip of the others (forward values unchanged), and the gradient reaching the first block's input is measured. ${runNote(header, r.seed)}`),
      figureBlock(distribution, 'Path-length distribution: most paths are of middle length.'),
      figureBlock(gradient, 'Gradient magnitude per path length: longer paths pass more branches and carry less gradient.'),
      figureBlock(contribution, `Their product: the effective paths (${from}–${to}) are much shorter than the net.`),
      tableBlock(['k', 'paths', 'gradient norm', 'share'], r.gradientByLength.map((g) => [g.length, num(r.distribution[g.length]!.count, 0), num(g.gradientNorm, 4), pct(r.contribution[g.length]!.share, 1)]), { caption: 'Per path length.' }),
    ],
  };
}
