/**
 * Writes a sample report built from made-up DEMO data, only to look at the report layer in a
 * browser (every title says DEMO). Real reports read the run store; nothing imports this file.
 *
 *   npx tsx scripts/sample-report.ts /tmp/sample.html
 *   chromium --headless --no-sandbox --disable-gpu --screenshot=/tmp/x.png --window-size=1200,2000 file:///tmp/sample.html
 */
import { writeFileSync } from 'node:fs';
import {
  barChart, codeBlock, contourPlot, figureBlock, heatmap, lineChart, paragraphBlock, renderReport, scatter, sequentialColors, smallMultiples, tableBlock,
  type LineSeries,
} from '../src/report/index.js';
import { pngDataUrl } from '../src/report/png.js';

const output = process.argv[2] ?? '/tmp/sample.html';

/** A smooth, made-up error curve: exponential decay from `start` to `end` with a fixed wiggle. */
function demoCurve(epochs: number, start: number, end: number, rate: number, wiggle: number, phase: number) {
  return Array.from({ length: epochs }, (_, i) => ({ x: i + 1, y: end + (start - end) * Math.exp(-rate * (i + 1)) + wiggle * Math.sin(1.3 * i + phase) }));
}

const depths = [8, 20, 44];
const depthColors = sequentialColors(depths.length);
function demoPanel(kind: 'plain' | 'residual', finalTrain: readonly number[]): LineSeries[] {
  return depths.flatMap((depth, i) => [
    { name: `${kind}-${depth} train`, group: `${depth} layers`, color: depthColors[i], dashed: true, points: demoCurve(12, 0.85, finalTrain[i]!, 0.35, 0.002, i) },
    { name: `${kind}-${depth} test`, group: `${depth} layers`, color: depthColors[i], points: demoCurve(12, 0.85, finalTrain[i]! + 0.025, 0.35, 0.004, i + 1) },
  ]);
}

const degradation = await smallMultiples({
  title: 'DEMO DATA — training and test error',
  subtitle: 'thin dashed: training error, bold: test error',
  xLabel: 'epoch', yLabel: 'error', yFormat: '.0%',
  styleLegend: { solid: 'test error', dashed: 'training error' },
  panels: [{ title: 'plain', series: demoPanel('plain', [0.1, 0.12, 0.19]) }, { title: 'residual', series: demoPanel('residual', [0.1, 0.08, 0.065]) }],
});

const epochColors = sequentialColors(4);
const gradientFlow = await lineChart({
  title: 'DEMO DATA — gradient norm by layer', xLabel: 'layer (input → output)', yLabel: 'gradient norm', yScale: 'log',
  series: [0, 1, 5, 10].map((epoch, i) => ({ name: `epoch ${epoch}`, color: epochColors[i], points: Array.from({ length: 20 }, (_, l) => ({ x: l + 1, y: 2e-4 * Math.exp(0.33 * l - 0.25 * i) })) })),
});

const lesion = await barChart({
  title: 'DEMO DATA — test error after deleting one block', categoryLabel: 'deleted block', valueLabel: 'test error', valueFormat: '.0%', valueDomain: [0, 1],
  bars: Array.from({ length: 9 }, (_, b) => [
    { category: String(b + 1), group: 'residual', value: b % 3 === 0 ? 0.2 : 0.09 },
    { category: String(b + 1), group: 'plain', value: 0.88 },
  ]).flat(),
});

const blocks = Array.from({ length: 9 }, (_, i) => `block ${i + 1}`);
const cka = await heatmap({
  title: 'DEMO DATA — linear CKA between block outputs', rows: blocks, cols: blocks, domain: [0, 1], colorLabel: 'CKA',
  values: blocks.map((_, r) => blocks.map((_, c) => Math.exp(-Math.abs(r - c) / 4))),
});

const grid = Array.from({ length: 25 }, (_, i) => -1 + i / 12);
const landscape = await contourPlot({
  title: 'DEMO DATA — loss surface around the minimum', xs: grid, ys: grid, xLabel: 'direction δ', yLabel: 'direction η', colorLabel: 'training loss', logLevels: true,
  values: grid.map((y) => grid.map((x) => 0.03 + 2.5 * x * x + 1.2 * y * y + 0.4 * Math.sin(3 * x * y))),
  marker: { x: 0, y: 0, label: 'minimum' },
});

const efficiency = await scatter({
  title: 'DEMO DATA — parameters against test error', xLabel: 'parameters', yLabel: 'test error', xScale: 'log', yFormat: '.1%',
  series: [
    { name: 'ResNet', points: [{ x: 0.27e6, y: 0.087, label: 'ResNet-20' }, { x: 0.85e6, y: 0.07, label: 'ResNet-56' }, { x: 1.7e6, y: 0.064, label: 'ResNet-110' }] },
    { name: 'DenseNet-BC', points: [{ x: 0.8e6, y: 0.046, label: 'DenseNet-BC-100' }] },
  ],
});

// A 28×28 ring as a stand-in for a predicted mask, drawn with square pixels.
const mask = new Uint8Array(28 * 28);
for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) mask[y * 28 + x] = Math.abs(Math.hypot(x - 13.5, y - 13.5) - 8) < 2.5 ? 255 : 0;

const html = renderReport({
  title: 'skiplab sample report (DEMO DATA)',
  subtitle: 'Made-up numbers for checking the report layout only; no model was trained.',
  generatedAt: new Date(Date.UTC(2026, 0, 1, 12, 0)),
  meta: [{ label: 'backend', value: 'none (demo)' }, { label: 'command', value: 'npx tsx scripts/sample-report.ts' }],
  sections: [
    {
      id: 'degradation', title: 'Degradation: plain vs residual',
      conclusion: 'DEMO: plain-44 ends at 19.0 % training error vs plain-8 at 10.0 %; residual-44 ends at 6.5 %.',
      blocks: [
        figureBlock(degradation, 'Training (thin dashed) and test (bold) error per epoch, plain nets left and residual nets right, one colour per depth (layout of He et al. 2015, Fig. 6).'),
        tableBlock(['model', 'depth', 'parameters', 'final train error', 'final test error'], [
          ['plain', 8, '78,042', '10.0 %', '12.5 %'], ['plain', 44, '659,098', '19.0 %', '21.5 %'],
          ['residual', 8, '78,042', '10.0 %', '12.5 %'], ['residual', 44, '659,098', '6.5 %', '9.0 %'],
        ], { caption: 'Final errors from the run store (DEMO values).' }),
        codeBlock(JSON.stringify({ model: 'resnet-cifar', depth: 44, skip: 'identity', optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 } }, null, 2), { caption: 'Run config of residual-44', collapsed: true }),
      ],
    },
    {
      id: 'gradient-flow', title: 'Gradient flow',
      conclusion: 'DEMO: the first-to-last-layer gradient-norm ratio is 1.8e-3 at initialisation.',
      blocks: [figureBlock(gradientFlow, 'Per-layer gradient norm on a log scale, one line per epoch (dark = early).'), paragraphBlock('Numbers here are made up; the `gradient-flow` experiment fills this section from real runs.')],
    },
    { id: 'lesion', title: 'Lesion study', conclusion: 'DEMO: deleting one residual block costs at most 11 points of test error.', blocks: [figureBlock(lesion, 'Test error after deleting each single block (Veit et al. 2016, Fig. 3).')] },
    { id: 'representations', title: 'Representations', blocks: [figureBlock(cka, 'Linear CKA between the outputs of every pair of blocks.')] },
    { id: 'landscape', title: 'Loss landscape', blocks: [figureBlock(landscape, 'Training loss on a plane through the minimum along two filter-normalised directions (Li et al. 2018).')] },
    { id: 'feature-reuse', title: 'Parameter efficiency', blocks: [figureBlock(efficiency, 'Parameters against test error (values from the papers, shown as DEMO).')] },
    {
      id: 'unet-skips', title: 'U-Net masks',
      blocks: [{ kind: 'images', pixelated: true, width: 112, caption: 'A demo mask rendered as PNG.', images: [{ dataUrl: pngDataUrl({ width: 28, height: 28, channels: 1, data: mask }), alt: 'demo ring mask', label: 'demo mask' }] }],
    },
  ],
});
writeFileSync(output, html);
console.log(`wrote ${output} (${html.length} bytes)`);
