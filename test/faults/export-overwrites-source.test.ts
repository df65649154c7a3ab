import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../src/cli/commands/export.js';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: `skiplab export D --safetensors D/checkpoint.safetensors` overwrote the run's
 * checkpoint with a bare state dict (the run could no longer resume), and `--safetensors X
 * --onnx Y` with a bad `--input-shape` wrote X before failing on Y. Now an output that is the
 * source or a file of the run folder is refused, and every output is built before any is written.
 */
const scratch = scratchFolders('export');
const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 200, testSubset: 100, epochs: 2, batchSize: 100, seed: 1 });
let run = '';

beforeAll(async () => {
  run = join(scratch(), 'run');
  // Interrupted after its first epoch, so there is something left to resume.
  const crash = { onEpoch: () => { throw new Error('simulated crash'); } };
  await runTraining(config, { run: new RunDirectory(run), callbacks: [crash] }).catch(() => {});
});

describe('fault: export writes over its source', { timeout: 300_000 }, () => {
  it('refuses `export D --safetensors D/checkpoint.safetensors`, leaving the checkpoint as it was', () => {
    const checkpoint = readFileSync(join(run, 'checkpoint.safetensors'));
    const r = runCli(['export', run, '--safetensors', join(run, 'checkpoint.safetensors')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--safetensors .*checkpoint\.safetensors would overwrite .*checkpoint\.safetensors, which the export reads from/);
    expect(readFileSync(join(run, 'checkpoint.safetensors')).equals(checkpoint)).toBe(true);
  });

  it('refuses every file of the run folder, by any path, and the source file itself; the run still resumes', async () => {
    const checkpoint = join(run, 'checkpoint.safetensors');
    const before = readFileSync(checkpoint);
    const link = join(scratch(), 'link');
    symlinkSync(run, link);
    for (const [request, file] of [
      [{ source: run, safetensors: join(link, '.', 'checkpoint.safetensors') }, 'checkpoint.safetensors'],
      [{ source: run, onnx: join(run, 'summary.json') }, 'summary.json'],
      [{ source: run, onnx: join(link, 'metrics.jsonl') }, 'metrics.jsonl'],
      [{ source: checkpoint, safetensors: checkpoint }, 'checkpoint.safetensors'],
      [{ source: checkpoint, onnx: join(run, 'config.json') }, 'config.json'],
    ] as const) {
      await expect(exportModel(request), JSON.stringify(request)).rejects.toThrow(new RegExp(`would overwrite .*${file.replace('.', '\\.')}, which the export reads from`));
    }
    expect(readFileSync(checkpoint).equals(before)).toBe(true);
    const outcome = await runTraining(config, { run: new RunDirectory(run) });
    expect(outcome.resumed).toBe(true);
    expect(outcome.epochs).toHaveLength(2);
  });

  it('writes no output when one of them cannot be made (a wrong --input-shape)', async () => {
    const out = scratch();
    const weights = join(out, 'weights.safetensors');
    const onnx = join(out, 'model.onnx');
    await expect(exportModel({ source: run, safetensors: weights, onnx, inputShape: [3, 32, 32] })).rejects.toThrow(/tracing mlp on an input of shape \(1, 3, 32, 32\) failed/);
    expect(existsSync(weights), 'no safetensors left behind').toBe(false);
    expect(existsSync(onnx)).toBe(false);
    await expect(exportModel({ source: run, safetensors: join(out, 'm'), onnx: join(out, '.', 'm') })).rejects.toThrow(/--onnx .* is the same file as --safetensors/);
    await expect(exportModel({ source: run, onnx: join(out, 'missing', 'm.onnx') })).rejects.toThrow(/folder .*missing does not exist/);
  });
});
