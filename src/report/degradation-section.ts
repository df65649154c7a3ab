import type { DegradationResults, DegradationRun } from '../experiments/degradation-results.js';
import type { ExperimentSpec } from '../experiments/spec.js';
import { formatSummary, summarizeSeeds } from '../analysis/statistics.js';
import { calibrationRuns, type LoadedCalibrationOf } from './claims/calibration.js';
import { claimSentence } from './claims/claim.js';
import { degradationClaims, HE_TABLE6_TEST_ERROR } from './claims/degradation.js';
import { claimsTable } from './claims/table.js';
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
export async function degradationSection(results: DegradationResults, config: ExperimentSpec, calibration: LoadedCalibrationOf<'degradation'> | null = null): Promise<ReportSection> {
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
  const checks = degradationClaims(results, calibration);
  const width = Number(config.base.modelOptions?.baseWidth ?? 16);
  const reference = calibration !== null && calibration.mismatches.length === 0 ? calibration.calibration : null;
  // Mean and interval over seeds of each (family, depth), with He et al.'s Table 6 test error beside the ResNets.
  const summaries = [false, true].flatMap((res) => depths.map((depth) => {
    const done = results.runs.filter((r) => r.residual === res && r.depth === depth && r.complete);
    const over = (values: (number | null)[]) => {
      const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
      return finite.length ? formatSummary(summarizeSeeds(finite), { scale: 100, digits: 2, unit: ' %' }) : '–';
    };
    const paper = res ? HE_TABLE6_TEST_ERROR[depth] : undefined;
    const torch = reference ? calibrationRuns(reference, res, depth).map((r) => r.final!) : [];
    return [res ? `ResNet-${depth}` : `plain-${depth}`, done.length, done[0]?.parameters ?? null, over(done.map((r) => r.finalTrainError)), over(done.map((r) => r.finalTestError)),
      ...(reference ? [over(torch.map((f) => f.trainError)), over(torch.map((f) => f.testError))] : []), paper === undefined ? '–' : pct(paper)];
  }));
  return {
    id: 'degradation',
    title: 'The degradation problem (He et al. 2015, Fig. 6)',
    conclusion: checks.length > 0 ? checks.map(claimSentence).join(' ') : 'Too few depths to compare: no verdict.',
    blocks: [
      paragraphBlock(
        `Plain and residual nets of depths ${depths.join(', ')} (3 stages of ${width}/${2 * width}/${4 * width} channels, batch norm, option-A shortcuts) trained with one recipe. ` +
        'The paper\'s claim under test (He et al. 2016 §4.2): a deeper plain net reaches a higher training error than a shallower one — an optimisation failure, not overfitting — while its residual twin does not. The verdict above says whether our numbers agree.',
      ),
      ...(checks.length > 0 ? [claimsTable(checks)] : []),
      tableBlock(['model', 'seeds', 'parameters', 'final training error', 'final test error', ...(reference ? ['PyTorch training error', 'PyTorch test error'] : []), 'He et al. Table 6 test error (CIFAR-10)'], summaries, {
        caption: `Mean over seeds with its interval: ± the 95 % t-interval for 3 or more seeds, (min–max) for 2.${reference ? ` PyTorch: the same nets, recipe, data and seeds in ${reference.framework} (${calibration!.path}).` : ''} The paper's numbers are on CIFAR-10 with its full recipe; compare orderings, not levels, across data sets.`,
      }),
      figureBlock(figure, 'Training error (dashed, over the most recent steps) and test error (bold) against iterations; each colour is one depth.'),
      tableBlock(['model', 'seed', 'parameters', 'final training error', 'final test error', 'seconds', 'status'], rows, {
        caption: 'Final numbers per run (training error is the running error over the last epoch).',
      }),
      ...(incomplete > 0 ? [paragraphBlock(`${incomplete} run(s) are not complete; re-run the experiment to resume them.`)] : []),
      codeBlock(JSON.stringify(config, null, 2), { caption: 'The shared training recipe (experiment spec)', collapsed: true }),
    ],
  };
}
