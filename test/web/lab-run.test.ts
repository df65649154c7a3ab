import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/tensor/rng.js';
import { decodeLabAsset, encodeLabAsset, type LabDataset } from '../../web/src/asset.js';
import { withLongDenseConnectionsCut } from '../../web/src/feature-cut.js';
import { correctPerImage, LabRun } from '../../web/src/lab-run.js';
import { hiddenGradientRms, shapeKeepingBlocks } from '../../web/src/measurements.js';
import { ResultRecorder } from '../../web/src/result-recorder.js';
import { defaultSettings, type LabSettings } from '../../web/src/settings.js';

/** A small random data set in the lab's asset format (through encode/decode, as the page gets it). */
function dataset(task: 'classification' | 'segmentation', size = 12): LabDataset {
  const rng = new Rng(5);
  const bytes = (n: number, max: number) => Uint8Array.from({ length: n }, () => rng.int(max));
  const split = (count: number) => ({
    images: bytes(count * size * size, 256), labels: bytes(count, task === 'segmentation' ? 3 : 10),
    masks: task === 'segmentation' ? bytes(count * size * size, 2) : null, count,
  });
  const data: LabDataset = {
    name: 'synthetic', classNames: task === 'segmentation' ? ['background', 'digit'] : Array.from({ length: 10 }, (_, i) => String(i)),
    task, channels: 1, height: size, width: size, mean: [0.5], std: [0.3], train: split(64), test: split(20),
  };
  return decodeLabAsset(encodeLabAsset(data), 'synthetic.bin');
}

const settings = (o: Partial<LabSettings> & Pick<LabSettings, 'architecture'>): LabSettings => ({ ...defaultSettings(o.architecture), batchSize: 8, ...o });

describe('lab run (Node)', () => {
  it('round-trips a segmentation asset and rejects a truncated one', () => {
    const data = dataset('segmentation');
    expect(data.task).toBe('segmentation');
    expect(data.test.masks!.length).toBe(20 * 12 * 12);
    const bytes = encodeLabAsset(data);
    expect(() => decodeLabAsset(bytes.subarray(0, bytes.length - 1), 'cut.bin')).toThrow(/cut\.bin: \d+ bytes, the header describes/);
    expect(() => encodeLabAsset({ ...data, train: { ...data.train, masks: null } })).toThrow(/needs masks/);
  });

  it('trains reproducibly: the same seed gives the same losses, and a twin sees the same batches', () => {
    const data = dataset('classification');
    const a = new LabRun(settings({ architecture: 'resnet', depth: 8, width: 2, seed: 4 }), data);
    const b = new LabRun(settings({ architecture: 'resnet', depth: 8, width: 2, seed: 4 }), data);
    const twin = new LabRun(settings({ architecture: 'resnet', depth: 8, width: 2, seed: 4, skip: 'none' }), data);
    const la = [a.trainStep().loss, a.trainStep().loss, a.trainStep().loss];
    expect([b.trainStep().loss, b.trainStep().loss, b.trainStep().loss]).toEqual(la);
    expect(la[2]).not.toBe(la[0]);
    expect(twin.nextIndices()).toEqual(new LabRun(settings({ architecture: 'resnet', depth: 8, width: 2, seed: 4 }), data).nextIndices());
    expect(a.step).toBe(3);
    const evaluation = a.evaluate();
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0);
    expect(evaluation.accuracy).toBeCloseTo(correctPerImage(a).reduce((s, c) => s + c, 0) / 20, 12);
  });

  it('segments: per-pixel loss and accuracy on (N, 2, H, W) outputs', () => {
    const run = new LabRun(settings({ architecture: 'unet', depth: 1, width: 2 }), dataset('segmentation'));
    const step = run.trainStep();
    expect(step.count).toBe(8 * 12 * 12);
    expect(Number.isFinite(step.loss)).toBe(true);
    const { accuracy } = run.evaluate();
    expect(accuracy).toBeGreaterThan(0);
    expect(accuracy).toBeLessThanOrEqual(1);
  });

  it('lesions only blocks that keep their input\'s shape (no downsampling block)', () => {
    const data = dataset('classification');
    for (const skip of ['identity', 'none'] as const) {
      const run = new LabRun(settings({ architecture: 'resnet', depth: 14, width: 2, skip }), data);
      expect(shapeKeepingBlocks(run)).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    }
  });

  it('cuts the long dense connections for a while and restores every weight bit for bit', () => {
    const run = new LabRun(settings({ architecture: 'densenet', depth: 10, width: 3 }), dataset('classification'));
    const before = run.model.parameters().map((p) => p.f32.slice());
    const x = run.evalBatches[0]!.x;
    run.model.eval();
    const intact = run.model.forward(x).f32.slice();
    const cut = withLongDenseConnectionsCut(run, () => run.model.forward(x).f32.slice());
    expect(cut).not.toEqual(intact);
    run.model.parameters().forEach((p, i) => expect(p.f32).toEqual(before[i]));
    const plain = new LabRun(settings({ architecture: 'densenet', depth: 10, width: 3, skip: 'none' }), dataset('classification'));
    expect(() => withLongDenseConnectionsCut(plain, () => 0)).toThrow(/no dense block with long connections/);
  });

  it('records what a preset needs: losses, per-step gradient ratios, measurements', () => {
    const run = new LabRun(settings({ architecture: 'mlp', depth: 6, width: 8, batchNorm: false }), dataset('classification'));
    const recorder = new ResultRecorder(run, 'gradients');
    recorder.begin();
    for (let i = 0; i < 4; i++) recorder.afterStep(run.trainStep().loss);
    const results = recorder.finish();
    expect(results.trainLosses).toHaveLength(4);
    expect(results.gradientLogRatios).toHaveLength(4);
    const { rms, layers } = hiddenGradientRms(run);
    expect(layers).toEqual(['layers.1.weight', 'layers.2.weight', 'layers.3.weight', 'layers.4.weight', 'layers.5.weight']);
    expect(results.gradientLogRatios!.at(-1)).toBeCloseTo(Math.log10(rms[0]! / rms.at(-1)!), 12);
  });
});
