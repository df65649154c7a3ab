import type { HessianEigenResult } from '../../analysis/hessian.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { contourPlot, lineChart } from '../plots.js';
import { num, readResults, runNote } from './common.js';

type Model = { family: 'residual' | 'plain'; line: { alpha: number; loss: number }[]; surface: { alphas: number[]; betas: number[]; losses: number[][] }; hessian: HessianEigenResult };
type Results = { depth: number; images: number; models: Model[] };

export async function landscapeSection(dir: string): Promise<ReportSection> {
  const r = readResults<Results>(dir, 'landscape');
  const line = await lineChart({
    title: '1-D loss along a filter-normalised direction', xLabel: 'α', yLabel: 'training loss', yScale: 'log',
    series: r.models.map((m) => ({ name: m.family, points: m.line.map((p) => ({ x: p.alpha, y: p.loss })) })),
  });
  const contours = [];
  for (const m of r.models) {
    // values[j][i] is at (alphas[i], betas[j]); losses[i][j] is at (alphas[i], betas[j]).
    const values = m.surface.betas.map((_, j) => m.surface.alphas.map((__, i) => m.surface.losses[i]![j]!));
    contours.push(figureBlock(await contourPlot({
      title: `${m.family === 'residual' ? 'ResNet' : 'plain'}-${r.depth}: 2-D loss surface`, xs: m.surface.alphas, ys: m.surface.betas, values,
      xLabel: 'α (direction 1)', yLabel: 'β (direction 2)', logLevels: true, colorLabel: 'training loss', marker: { x: 0, y: 0, label: 'trained' },
    }), `Training loss around the trained ${m.family} net (Li et al. 2018 Fig. 5 style).`));
  }
  const res = r.models.find((m) => m.family === 'residual')!;
  const plain = r.models.find((m) => m.family === 'plain')!;
  const curvature = (m: Model) => {
    const center = m.line.reduce((best, p) => (Math.abs(p.alpha) < Math.abs(best.alpha) ? p : best));
    const edge = Math.max(m.line[0]!.loss, m.line[m.line.length - 1]!.loss);
    return edge / center.loss;
  };
  return {
    id: 'landscape',
    title: 'Loss landscape (Li et al. 2018)',
    conclusion: `The Hessian's |λ_min/λ_max| at the minimum is ${num(res.hessian.ratio, 3)} for the residual net and ${num(plain.hessian.ratio, 3)} for the plain net (${res.hessian.ratio < plain.hessian.ratio ? 'the residual minimum is the more convex one, as Li et al. report' : 'not the order Li et al. report at this budget'}); at α = ±1 the loss rises ${num(curvature(res), 2)}× (residual) vs ${num(curvature(plain), 2)}× (plain).`,
    blocks: [
      paragraphBlock(`Filter-normalised random directions (each filter scaled to its weights' norm; batch-norm parameters and biases not perturbed), training loss on ${r.images} training images in evaluation mode, and the extreme Hessian eigenvalues by power iteration on finite-difference Hessian-vector products. ${runNote(r)}`),
      figureBlock(line, '1-D slices through the minimum (log scale).'),
      ...contours,
      tableBlock(['model', 'λ_max', 'λ_min', '|λ_min/λ_max|'], r.models.map((m) => [m.family, num(m.hessian.maxEigenvalue, 3), num(m.hessian.minEigenvalue, 3), num(m.hessian.ratio, 4)]), { caption: 'Hessian eigenvalues at the trained minimum (near 0 ratio: locally convex).' }),
    ],
  };
}
