import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { LandscapeResults } from '../../experiments/results/landscape.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { contourPlot, lineChart } from '../plots.js';
import { num, runNote } from './common.js';

type Seed = LandscapeResults['seeds'][number];
type Model = Seed['models'][number];

/** How much the loss rises from the minimum to α = ±1 along the 1-D slice. */
function curvature(m: Model): number {
  const center = m.line.reduce((best, p) => (Math.abs(p.alpha) < Math.abs(best.alpha) ? p : best));
  const edge = Math.max(m.line[0]!.loss ?? NaN, m.line[m.line.length - 1]!.loss ?? NaN);
  return edge / (center.loss ?? NaN);
}

function conclusion(r: Seed): string {
  const res = r.models.find((m) => m.family === 'residual');
  const plain = r.models.find((m) => m.family === 'plain');
  if (res && plain) {
    const [a, b] = [res.hessian.ratio ?? NaN, plain.hessian.ratio ?? NaN];
    return `The Hessian's |λ_min/λ_max| at the minimum is ${num(a, 3)} for the residual net and ${num(b, 3)} for the plain net (${a < b ? 'the residual minimum is the more convex one, as Li et al. report' : 'not the order Li et al. report at this budget'}); at α = ±1 the loss rises ${num(curvature(res), 2)}× (residual) vs ${num(curvature(plain), 2)}× (plain).`;
  }
  const m = r.models[0]!;
  return `The Hessian's |λ_min/λ_max| at the ${m.family} model's weights is ${num(m.hessian.ratio, 3)}; at α = ±1 the loss rises ${num(curvature(m), 2)}×.`;
}

export async function landscapeSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
  const line = await lineChart({
    title: '1-D loss along a filter-normalised direction', xLabel: 'α', yLabel: 'training loss', yScale: 'log',
    series: r.models.map((m) => ({ name: m.family, points: m.line.flatMap((p) => (p.loss === null ? [] : [{ x: p.alpha, y: p.loss }])) })),
  });
  const contours = [];
  for (const m of r.models) {
    // values[j][i] is at (alphas[i], betas[j]); losses[i][j] is at (alphas[i], betas[j]).
    const values = m.surface.betas.map((_, j) => m.surface.alphas.map((__, i) => m.surface.losses[i]![j] ?? NaN));
    const name = m.family === 'residual' ? `ResNet-${r.depth}` : m.family === 'plain' ? `plain-${r.depth}` : 'given model';
    contours.push(figureBlock(await contourPlot({
      title: `${name}: 2-D loss surface`, xs: m.surface.alphas, ys: m.surface.betas, values,
      xLabel: 'α (direction 1)', yLabel: 'β (direction 2)', logLevels: true, colorLabel: 'training loss', marker: { x: 0, y: 0, label: 'trained' },
    }), `Training loss around the ${m.family} net's weights (Li et al. 2018 Fig. 5 style); each row of the grid was one job.`));
  }
  return {
    id: 'landscape',
    title: 'Loss landscape (Li et al. 2018)',
    conclusion: conclusion(r),
    blocks: [
      paragraphBlock(`Filter-normalised random directions (each filter scaled to its weights' norm; batch-norm parameters and biases not perturbed), training loss on ${r.images} training images in evaluation mode, and the extreme Hessian eigenvalues by power iteration on finite-difference Hessian-vector products. ${runNote(header, r.seed)}`),
      figureBlock(line, '1-D slices through the minimum (log scale).'),
      ...contours,
      tableBlock(['model', 'λ_max', 'λ_min', '|λ_min/λ_max|'], r.models.map((m) => [m.family, num(m.hessian.maxEigenvalue, 3), num(m.hessian.minEigenvalue, 3), num(m.hessian.ratio, 4)]), { caption: 'Hessian eigenvalues at the trained minimum (near 0 ratio: locally convex).' }),
    ],
  };
}
