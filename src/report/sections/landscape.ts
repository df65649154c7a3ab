import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { LandscapeResults } from '../../experiments/results/landscape.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { contourPlot, lineChart } from '../plots.js';
import { relativeResidual } from '../claims/landscape.js';
import { num, runNote, type SeedSection } from './common.js';

type Seed = LandscapeResults['seeds'][number];
type Model = Seed['models'][number];

/** How much the loss rises from the minimum to α = ±1 along the 1-D slice. */
function curvature(m: Model): number {
  const center = m.line.reduce((best, p) => (Math.abs(p.alpha) < Math.abs(best.alpha) ? p : best));
  const edge = Math.max(m.line[0]!.loss ?? NaN, m.line[m.line.length - 1]!.loss ?? NaN);
  return edge / (center.loss ?? NaN);
}

export async function landscapeSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
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
    blocks: [
      paragraphBlock(`Filter-normalised random directions (each filter scaled to its weights' norm; batch-norm parameters and biases not perturbed), training loss on ${r.images} training images in evaluation mode, and the extreme Hessian eigenvalues by Lanczos iteration on Hessian-vector products, each with its residual ‖Hv − λv‖ (a large residual means the estimate has not converged and the verdict stays inconclusive). ${runNote(header, r.seed)}`),
      figureBlock(line, '1-D slices through the minimum (log scale).'),
      ...contours,
      tableBlock(['model', 'parameters', 'λ_max', 'λ_min', '|λ_min/λ_max|', 'residual at λ_max', 'residual at λ_min', 'worst residual / |λ_max|', 'Lanczos steps', 'loss rise at α = ±1'], r.models.map((m) => [
        m.family, m.parameters, num(m.hessian.maxEigenvalue, 3), num(m.hessian.minEigenvalue, 3), num(m.hessian.ratio, 4), num(m.hessian.maxResidual, 3), num(m.hessian.minResidual, 3), num(relativeResidual(m), 3), m.hessian.iterations, `${num(curvature(m), 2)}×`,
      ]), { caption: 'Hessian eigenvalues at the trained weights with their residuals (a ratio near 0 would mean locally convex).' }),
    ],
  };
}
