import type { AnalysisResultsHeader } from '../../experiments/results/header.js';
import type { UnetSkipsResults } from '../../experiments/results/unet-skips.js';
import { figureBlock, paragraphBlock, tableBlock } from '../html.js';
import { smallMultiples } from '../plots.js';
import { pngDataUrl } from '../png.js';
import { pct, runNote, type SeedSection } from './common.js';

type Seed = UnetSkipsResults['seeds'][number];
type Model = Seed['models'][number];

/** A grey PNG of a mask (0 = black, 1 = white) or an image (bytes as they are). */
function png(values: readonly number[], size: number, scale: number): string {
  return pngDataUrl({ width: size, height: size, channels: 1, data: Uint8Array.from(values, (v) => v * scale) });
}

export async function unetSkipsSection(r: Seed, header: AnalysisResultsHeader): Promise<SeedSection> {
  const figure = await smallMultiples({
    title: 'U-Net with vs without long skips', xLabel: 'epoch', yLabel: 'score', yFormat: '.0%',
    panels: [
      { title: 'foreground IoU (test)', series: r.models.map((m) => ({ name: m.name, points: m.epochs.map((e) => ({ x: e.epoch, y: e.foregroundIou })) })) },
      { title: 'accuracy on boundary pixels', series: r.models.map((m) => ({ name: m.name, points: m.epochs.map((e) => ({ x: e.epoch, y: e.boundaryAccuracy })) })) },
      { title: 'accuracy on interior pixels', series: r.models.map((m) => ({ name: m.name, points: m.epochs.map((e) => ({ x: e.epoch, y: e.interiorAccuracy })) })) },
    ],
  });
  const images = r.examples.flatMap((ex, i) => [
    { dataUrl: png(ex.image, r.size, 1), alt: `test image ${i + 1}`, label: `image ${i + 1}` },
    { dataUrl: png(ex.target, r.size, 255), alt: `target mask ${i + 1}`, label: 'target' },
    ...r.models.map((m) => ({ dataUrl: png(m.masks[i]!, r.size, 255), alt: `${m.name} prediction ${i + 1}`, label: m.skip === 'none' ? 'no skips' : 'U-Net' })),
  ]);
  const final = (m: Model) => m.epochs[m.epochs.length - 1]!;
  return {
    id: 'unet-skips',
    title: 'U-Net long skips on digit segmentation (Ronneberger et al. 2015)',
    blocks: [
      paragraphBlock(`${r.levels}-level U-Nets on ${r.size}×${r.size} canvases of real MNIST digits (binary masks), trained with the same recipe; the plain twin keeps every convolution but drops the concatenation. Boundary pixels are those with a differently labelled 4-neighbour. ${runNote(header, r.seed)}`),
      figureBlock(figure, 'Test IoU of the digit class and accuracy on boundary and interior pixels per epoch.'),
      { kind: 'images', images, caption: 'Test canvases, target masks, and the predictions with and without long skips.', width: 96, pixelated: true },
      tableBlock(['model', 'parameters', 'mean IoU', 'mean Dice', 'foreground IoU', 'boundary accuracy', 'interior accuracy'], r.models.map((m) => [m.name, m.parameters, pct(final(m).iou), pct(final(m).dice), pct(final(m).foregroundIou), pct(final(m).boundaryAccuracy), pct(final(m).interiorAccuracy)]), { caption: 'After the last epoch. Interior pixels (all four neighbours labelled alike) are the baseline: a gain from the skips that is specific to fine detail shows on boundary pixels more than there.' }),
    ],
  };
}
