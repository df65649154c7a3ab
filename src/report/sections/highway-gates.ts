import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { HighwayGatesResults } from '../../experiments/results/highway-gates.js';
import { figureBlock, paragraphBlock, tableBlock, type ReportSection } from '../html.js';
import { lineChart, smallMultiples } from '../plots.js';
import { num, pct, runNote } from './common.js';

type Seed = HighwayGatesResults['seeds'][number];

export async function highwayGatesSection(r: Seed, header: AnalysisResultsHeader): Promise<ReportSection> {
  const highway = r.models.find((m) => m.family === 'highway')!;
  const plain = r.models.find((m) => m.family === 'plain');
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
  const meanGate = last.layers.reduce((a, l) => a + l.meanGate, 0) / last.layers.length;
  const closed = last.layers.reduce((a, l) => a + l.closedFraction, 0) / last.layers.length;
  const hErr = highway.trainError[highway.trainError.length - 1]!;
  const pErr = plain?.trainError[plain.trainError.length - 1];
  return {
    id: 'highway-gates',
    title: 'Highway transform gates (Srivastava et al. 2015)',
    conclusion: `After training, the mean transform gate of the ${r.depth}-layer highway net is ${num(meanGate, 2)} and on average ${pct(closed, 0)} of examples find a layer nearly closed (carrying its input); the highway net ends at ${pct(hErr)} training error${pct(pErr) !== '–' ? ` while its plain twin ends at ${pct(pErr)}` : ''}.`,
    blocks: [
      paragraphBlock(`A fully connected highway net (width ${r.width}, gate bias −2 at initialisation) and its plain twin, trained with the same recipe; gate activity measured on test images. Srivastava et al. (Fig. 2) found most transform gates closed on average but active selectively per example. ${runNote(header, r.seed)}`),
      figureBlock(gates, 'Mean transform-gate value and fraction of nearly closed examples by layer, over training.'),
      figureBlock(perExample, 'Per-example gate profiles: different examples use different layers.'),
      figureBlock(curves, 'Training error of the highway net and its plain twin.'),
      tableBlock(['layer', 'mean T(x)', 'examples nearly closed'], last.layers.map((l) => [l.layer, num(l.meanGate, 3), pct(l.closedFraction, 0)]), { caption: 'After the last epoch.' }),
    ],
  };
}
