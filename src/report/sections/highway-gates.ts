import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { HighwayGatesResults } from '../../experiments/results/highway-gates.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { lineChart, smallMultiples } from '../plots.js';
import { num, pct, runNote, type SeedSection } from './common.js';

type Seed = HighwayGatesResults['seeds'][number];

export async function highwayGatesSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const highway = r.models.find((m) => m.family === 'highway')!;
  const gates = await smallMultiples({
    title: 'Transform-gate activity by depth', subtitle: 'one line per epoch (0 = initialisation)', xLabel: 'highway layer', yLabel: 'value',
    panels: [
      { title: 'mean T(x)', series: highway.gates.map((s) => ({ name: `epoch ${s.epoch}`, points: s.layers.map((l, i) => ({ x: i + 1, y: l.meanGate })) })) },
      { title: 'examples with mean T(x) < 0.1', series: highway.gates.map((s) => ({ name: `epoch ${s.epoch}`, points: s.layers.map((l, i) => ({ x: i + 1, y: l.closedFraction })) })) },
    ],
  });
  const last = highway.gates[highway.gates.length - 1]!;
  const perExample = await lineChart({
    title: 'Mean gate per example after training', subtitle: 'each line is one test example', xLabel: 'highway layer', yLabel: 'mean T(x)', legend: 'none',
    series: last.layers[0]!.perExample.slice(0, 10).map((_, e) => ({ name: `example ${e + 1}`, points: last.layers.map((l, i) => ({ x: i + 1, y: l.perExample[e]! })), strokeWidth: 1 })),
  });
  const curves = await lineChart({
    title: 'Training error', xLabel: 'epoch', yLabel: 'training error', yFormat: '.0%',
    series: r.models.map((m) => ({ name: `${m.family}-${r.depth}`, points: m.trainError.map((e, i) => ({ x: i + 1, y: e })) })),
  });
  return {
    id: 'highway-gates',
    title: 'Highway transform gates (Srivastava et al. 2015)',
    blocks: [
      paragraphBlock(`A fully connected highway net (width ${r.width}, gate bias −2 at initialisation) and its plain twin (width ${r.plainWidth}${r.plainWidth === r.width ? ', not widened, so without the gates\' parameters' : ', widened to the parameter count nearest the highway net\'s, as Srivastava et al. §4.1 widened theirs'}), trained with the same recipe; gate activity measured on test images. The paper's observation (Srivastava et al. 2015 §5.1, Fig. 2): most transform gates are closed on average but active selectively per example. ${runNote(header, r.seed)}`),
      figureBlock(gates, 'Mean transform-gate value and fraction of nearly closed examples by layer, over training.'),
      figureBlock(perExample, 'Per-example gate profiles of the first test examples.'),
      figureBlock(curves, 'Training error of the highway net and its plain twin.'),
      tableBlock(['model', 'width', 'parameters', 'final training error', 'final test error'], r.models.map((m) => [`${m.family}-${r.depth}`, m.family === 'plain' ? r.plainWidth : r.width, m.parameters, pct(m.trainError[m.trainError.length - 1]), pct(m.testError[m.testError.length - 1])])),
      tableBlock(['layer', 'mean T(x)', 'examples nearly closed'], last.layers.map((l) => [l.layer, num(l.meanGate, 3), pct(l.closedFraction, 0)]), { caption: 'After the last epoch.' }),
    ],
  };
}
