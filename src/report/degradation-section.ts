import type { DegradationResults, DegradationRun } from '../experiments/degradation-results.js';
import { codeBlock, figureBlock, paragraphBlock, tableBlock, type ReportSection } from './html.js';
import { smallMultiples, type LineSeries } from './plots.js';

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);

/** Training error (dashed) and test error (bold) of one run against iterations. */
function seriesOf(run: DegradationRun): LineSeries[] {
  const group = `${run.depth} layers`;
  // A run shorter than its logging interval has no step records: plot its epoch ends instead.
  const points = run.curve.length > 0 ? run.curve : run.epochs;
  const train = points.map((p) => ({ x: p.step, y: p.trainError }));
  const test = points.filter((p) => p.testError !== undefined).map((p) => ({ x: p.step, y: p.testError! }));
  const series: LineSeries[] = [];
  if (train.length > 0) series.push({ name: `${group} train${run.seed ? ` (seed ${run.seed})` : ''}`, group, points: train, dashed: true });
  if (test.length > 0) series.push({ name: `${group} test${run.seed ? ` (seed ${run.seed})` : ''}`, group, points: test });
  return series;
}

/**
 * He et al. 2015 Figure 6 from the run store: plain nets on the left, residual on the right, one
 * colour per depth, training error dashed and test error bold; then the final numbers and the
 * measured conclusion.
 */
export async function degradationSection(results: DegradationResults, config: unknown): Promise<ReportSection> {
  const plain = results.runs.filter((r) => !r.residual);
  const residual = results.runs.filter((r) => r.residual);
  const depths = [...new Set(results.runs.map((r) => r.depth))].sort((a, b) => a - b);
  const figure = await smallMultiples({
    title: `Training on ${results.dataset}: plain vs residual`,
    subtitle: 'dashed: training error (recent steps) · bold: test error',
    xLabel: 'iteration',
    yLabel: 'error',
    yFormat: '.0%',
    styleLegend: { solid: 'test error', dashed: 'training error' },
    panels: [
      { title: 'plain', series: plain.flatMap(seriesOf) },
      { title: 'residual (ResNet)', series: residual.flatMap(seriesOf) },
    ],
  });
  const rows = results.runs.map((r) => [
    r.residual ? `ResNet-${r.depth}` : `plain-${r.depth}`, r.seed, r.parameters, pct(r.finalTrainError), pct(r.finalTestError),
    r.seconds === null ? '–' : r.seconds.toFixed(0), r.complete ? 'complete' : 'incomplete',
  ]);
  const incomplete = results.runs.filter((r) => !r.complete).length;
  return {
    id: 'degradation',
    title: 'The degradation problem (He et al. 2015, Fig. 6)',
    conclusion: results.conclusions.join(' '),
    blocks: [
      paragraphBlock(
        `Plain and residual nets of depths ${depths.join(', ')} (3 stages of 16/32/64 channels, batch norm, option-A shortcuts) trained with one recipe. ` +
        'The claim under test: a deeper plain net reaches a higher training error than a shallower one — an optimisation failure, not overfitting — while its residual twin does not.',
      ),
      figureBlock(figure, 'Training error (dashed, over the most recent steps) and test error (bold) against iterations; each colour is one depth.'),
      tableBlock(['model', 'seed', 'parameters', 'final training error', 'final test error', 'seconds', 'status'], rows, {
        caption: 'Final numbers per run (training error is the running error over the last epoch).',
      }),
      ...(incomplete > 0 ? [paragraphBlock(`${incomplete} run(s) are not complete; re-run the experiment to resume them.`)] : []),
      codeBlock(JSON.stringify(config, null, 2), { caption: 'The shared training recipe (experiment spec)', collapsed: true }),
    ],
  };
}
