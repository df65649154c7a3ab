import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../src/cli/commands/export.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { loadSafetensors, loadSafetensorsWithMetadata, saveSafetensors } from '../../src/io/safetensors.js';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-export-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('skiplab export', () => {
  it('exports a trained run folder to ONNX and safetensors that reproduce its outputs', async () => {
    const run = join(scratch(), 'mlp-run');
    const train = runCli(['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '1', '--train-subset', '300', '--test-subset', '100', '--run-dir', run, '--json']);
    expect(train.status, train.stderr).toBe(0);
    const onnxPath = join(run, 'model.onnx');
    const weightsPath = join(run, 'model.safetensors');
    const r = runCli(['export', run, '--onnx', onnxPath, '--safetensors', weightsPath, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { model: string; inputShape: number[]; onnx: { outputShape: number[] } };
    expect(result.model).toBe('mlp');
    expect(result.inputShape).toEqual([1, 28, 28]);
    expect(result.onnx.outputShape).toEqual([1, 10]);

    // The exported weights are exactly the checkpoint's model weights...
    const checkpoint = await loadSafetensors(join(run, 'checkpoint.safetensors'));
    const trained = Object.fromEntries(Object.entries(checkpoint).filter(([k]) => k.startsWith('model.')).map(([k, t]) => [k.slice('model.'.length), t]));
    const exported = await loadSafetensors(weightsPath);
    expect(Object.keys(exported).sort()).toEqual(Object.keys(trained).sort());
    for (const [key, t] of Object.entries(trained)) {
      expect(exported[key]!.shape, key).toEqual(t.shape);
      const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(bytes(exported[key]!.f32).equals(bytes(t.f32)), key).toBe(true);
    }
    // ...and ONNX Runtime computes what the model with the checkpoint's weights computes.
    const model = createModel('mlp', { inChannels: 1, numClasses: 10 });
    model.loadStateDict(trained);
    const rng = new Rng(5);
    const x = new Tensor(Float32Array.from({ length: 4 * 784 }, () => rng.normal()), [4, 1, 28, 28]);
    const expected = noGrad(() => model.eval().forward(x));
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(onnxPath)));
    const out = (await session.run({ input: new ort.Tensor('float32', x.f32, [4, 1, 28, 28]) })).output!;
    expect(out.dims).toEqual([4, 10]);
    const got = out.data as Float32Array;
    const scale = Math.max(...Array.from(expected.f32, Math.abs));
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - expected.f32[i]!))) / scale).toBeLessThan(1e-4);
  });

  it('writes resnet18 with exactly torchvision\'s state-dict keys and shapes (the load_state_dict strict=True condition)', async () => {
    const dir = scratch();
    const source = join(dir, 'resnet18-state.safetensors');
    await saveSafetensors(source, createModel('resnet18', { rng: structureOnlyRng() }).stateDict());
    const out = join(dir, 'resnet18.safetensors');
    const result = await exportModel({ source, model: 'resnet18', safetensors: out });
    expect(result.safetensors!.tensors).toBe(122);
    // The key list and shapes torchvision.models.resnet18().state_dict() has (fixture made by PyTorch).
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/models/resnet18.json', import.meta.url), 'utf8')) as { stateDict: [string, number[]][] };
    const { tensors, metadata } = await loadSafetensorsWithMetadata(out);
    expect(Object.keys(tensors).sort()).toEqual(fixture.stateDict.map(([k]) => k).sort());
    for (const [key, shape] of fixture.stateDict) expect(tensors[key]!.shape, key).toEqual(shape);
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('explains what is missing', async () => {
    const dir = scratch();
    await expect(exportModel({ source: dir })).rejects.toThrow(/give --onnx PATH and\/or --safetensors PATH/);
    await expect(exportModel({ source: dir, onnx: join(dir, 'm.onnx') })).rejects.toThrow(/has no checkpoint yet/);
    const loose = join(dir, 'loose');
    mkdirSync(loose);
    const file = join(loose, 'weights.safetensors');
    await saveSafetensors(file, createModel('mlp', { rng: new Rng(1) }).stateDict());
    await expect(exportModel({ source: file, onnx: join(dir, 'm.onnx') })).rejects.toThrow(/not in a run folder .* --model/);
    await expect(exportModel({ source: file, model: 'resnet20', onnx: join(dir, 'm.onnx') })).rejects.toThrow(/missing keys: conv1\.weight/);
  });
});
