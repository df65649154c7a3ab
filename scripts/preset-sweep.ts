// Run a preset of the browser lab in Node over several seeds and print each seed's verdict: the
// way the presets' settings are chosen (a verdict that flips from seed to seed is not a finding).
// The runs train on the single-threaded wasm backend (the page's numbers when it runs on one
// thread); the runs of a seed train one after the other. Landscape slices can be cut with other settings than the page's, to try them.
// Usage: tsx scripts/preset-sweep.ts --preset landscape [--seeds 1,2,3] [--set depth=32,width=4,maxSteps=200]
//        [--directions 8] [--points 11] [--images 250] (the page's slices by default) [--out dir]
// With --out, each seed's raw results (the landscape slices among them) are written to
// dir/<preset>-seed<N>.json, so other statistics can be judged on them without training again.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setBackend } from '../src/backend/select.js';
import { loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/index.js';
import { decodeLabAsset, type LabDataset } from '../web/src/asset.js';
import { LabRun } from '../web/src/lab-run.js';
import { landscapeSlices } from '../web/src/measurements.js';
import { presetById } from '../web/src/presets.js';
import { ResultRecorder, SLICE_DIRECTIONS, SLICE_IMAGES, SLICE_POINTS } from '../web/src/result-recorder.js';
import { buildWeb } from './build-web.js';
import type { LabSettings } from '../web/src/settings.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    set: { type: 'string', default: '' },
    directions: { type: 'string', default: String(SLICE_DIRECTIONS) },
    points: { type: 'string', default: String(SLICE_POINTS) },
    images: { type: 'string', default: String(SLICE_IMAGES) },
    out: { type: 'string' },
  },
});
if (!values.preset) throw new Error('preset-sweep: --preset is required');
const positive = (flag: string, text: string): number => {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`preset-sweep: --${flag} must be a whole number ≥ 1, got '${text}'`);
  return v;
};
const seeds = values.seeds.split(',').map((s) => positive('seeds', s));
const directions = positive('directions', values.directions);
const points = positive('points', values.points);
const images = positive('images', values.images);
const overrides: Partial<Record<keyof LabSettings, number>> = {};
for (const pair of values.set.split(',').filter(Boolean)) {
  const [key, value] = pair.split('=');
  if (!key || value === undefined || !Number.isFinite(Number(value))) throw new Error(`preset-sweep: --set takes key=number pairs, got '${pair}'`);
  overrides[key as keyof LabSettings] = Number(value);
}

const backend = loadWasmBackend();
if (!backend) throw new Error(`preset-sweep: wasm backend unavailable: ${wasmUnavailableReason()}`);
setBackend(backend);

const webDir = await buildWeb({ dataOnly: true, reuseData: true });
const assets = new Map<string, LabDataset>();
const dataset = (name: string): LabDataset => {
  if (!assets.has(name)) {
    const file = resolve(webDir, 'data', `${name}.bin`);
    assets.set(name, decodeLabAsset(new Uint8Array(readFileSync(file)), file));
  }
  return assets.get(name)!;
};

for (const seed of seeds) {
  const preset = presetById(values.preset, seed);
  const started = Date.now();
  const results = preset.runs.map(({ settings: base }) => {
    const settings = { ...base, ...overrides } as LabSettings;
    const custom = preset.measure === 'landscape' && (images !== SLICE_IMAGES || directions !== SLICE_DIRECTIONS || points !== SLICE_POINTS);
    const run = new LabRun(settings, dataset(settings.dataset));
    const recorder = new ResultRecorder(run, custom ? null : preset.measure);
    recorder.begin();
    for (let step = 1; step <= settings.maxSteps; step++) {
      recorder.afterStep(run.trainStep().loss);
      if (step % 50 === 0) console.error(`seed ${seed}: step ${step} of ${settings.maxSteps} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const result = recorder.finish();
    if (custom) result.landscape = landscapeSlices(run, directions, points, 1, images);
    return result;
  });
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    const file = resolve(values.out, `${preset.id}-seed${seed}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ preset: preset.id, seed, overrides, directions, points, images, results }));
    renameSync(`${file}.tmp`, file);
  }
  const checks = preset.judge(results);
  console.log(JSON.stringify({
    preset: preset.id, seed, overrides, directions, points, images, seconds: (Date.now() - started) / 1000,
    testAccuracy: results.map((r) => r.testAccuracy),
    checks: checks.map((c) => ({ outcome: c.outcome, effect: c.effect, measured: c.measured })),
  }));
}
