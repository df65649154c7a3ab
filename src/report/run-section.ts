import { basename } from 'node:path';
import { trainConfigSchema } from '../train/config.js';
import type { RunDirectory } from '../train/run-store.js';
import { codeBlock, figureBlock, paragraphBlock, tableBlock, type ReportSection } from './html.js';
import { lineChart, type LineSeries } from './plots.js';

const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : '–');

/** One training run from its folder: loss and error per epoch, the final numbers and the config. */
export async function runSection(run: RunDirectory): Promise<ReportSection> {
  const config = run.readConfig(trainConfigSchema);
  const epochs = run.readMetrics().filter((r) => r.kind === 'epoch');
  const summary = run.readSummary();
  const point = (key: string) => epochs.filter((r) => typeof r[key] === 'number').map((r) => ({ x: r.epoch + 1, y: r[key] as number }));
  const errorSeries: LineSeries[] = [
    { name: 'training error', points: point('trainError'), dashed: true },
    { name: 'test error', points: point('testError') },
  ].filter((s) => s.points.length > 0);
  const lossSeries: LineSeries[] = [
    { name: 'training loss', points: point('trainLoss'), dashed: true },
    { name: 'test loss', points: point('testLoss') },
  ].filter((s) => s.points.length > 0);
  const blocks = [];
  if (errorSeries.length > 0) {
    blocks.push(figureBlock(await lineChart({ title: 'Error per epoch', xLabel: 'epoch', yLabel: 'error', yFormat: '.0%', series: errorSeries }), 'Running training error over each epoch (dashed) and test error at its end.'));
    blocks.push(figureBlock(await lineChart({ title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'cross-entropy', series: lossSeries }), 'Mean training loss over each epoch (dashed) and test loss at its end.'));
  } else {
    blocks.push(paragraphBlock('No epoch has finished yet.'));
  }
  const last = epochs[epochs.length - 1];
  blocks.push(tableBlock(['epochs', 'steps', 'parameters', 'final training error', 'final test error', 'status'], [[
    epochs.length, last?.step ?? 0, typeof summary?.parameterCount === 'number' ? summary.parameterCount : null,
    pct(last?.trainError), pct(last?.testError), summary?.status ?? (run.hasCheckpoint() ? 'interrupted (resumable)' : 'not started'),
  ]]));
  blocks.push(codeBlock(JSON.stringify(config, null, 2), { caption: 'config.json', collapsed: true }));
  const id = `run-${basename(run.path).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`;
  return {
    id: /^[a-z]/.test(id) ? id : `run-${id}`,
    title: `${config.model} on ${config.dataset} (${basename(run.path)})`,
    conclusion: last ? `After ${epochs.length} epoch(s): training error ${pct(last.trainError)}, test error ${pct(last.testError)}.` : undefined,
    blocks,
  };
}
