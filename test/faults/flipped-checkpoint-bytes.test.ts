import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: a flipped byte in a checkpoint's weights went unnoticed — resume exited 0 and trained
 * on from other weights. Now every tensor and the training state carry a SHA-256 in the
 * checkpoint's metadata, checked on load; a mismatch names the file and the tensor.
 */
const scratch = scratchFolders('flip');
const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 200, testSubset: 100, epochs: 2, batchSize: 50, lr: 0.05, seed: 2 });

/** Byte range of each tensor in a safetensors file, and the header's range. */
function layout(bytes: Uint8Array): { header: [number, number]; tensors: Record<string, [number, number]> } {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: [number, number] }>;
  const tensors: Record<string, [number, number]> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') tensors[name] = [8 + headerLength + entry.data_offsets[0], 8 + headerLength + entry.data_offsets[1]];
  }
  return { header: [8, 8 + headerLength], tensors };
}

async function interruptedRun(): Promise<RunDirectory> {
  const run = new RunDirectory(join(scratch(), 'run'));
  const crash = { onEpoch: (r: { epoch: number }) => { if (r.epoch === 0) throw new Error('simulated crash'); } };
  await expect(runTraining(config, { run, callbacks: [crash] })).rejects.toThrow('simulated crash');
  return run;
}

describe('fault: flipped bytes in a checkpoint', { timeout: 300_000 }, () => {
  for (const target of ['model.layers.1.weight', 'optimizer.momentum.0']) {
    it(`refuses to resume when one bit of '${target}' flipped, naming the file and the tensor`, async () => {
      const run = await interruptedRun();
      const bytes = new Uint8Array(readFileSync(run.checkpointPath));
      const range = layout(bytes).tensors[target];
      expect(range, `the checkpoint holds ${target}`).toBeDefined();
      bytes[range![0] + 13]! ^= 0x04;
      writeFileSync(run.checkpointPath, bytes);
      const metrics = readFileSync(run.metricsPath, 'utf8');
      await expect(runTraining(config, { run })).rejects.toThrow(new RegExp(`checkpoint\\.safetensors: tensor '${target.replace(/\./g, '\\.')}' does not match its SHA-256 checksum`));
      expect(readFileSync(run.metricsPath, 'utf8'), 'nothing written').toBe(metrics);
    });
  }

  it('refuses a training state edited in place (a digit of the step count changed)', async () => {
    const run = await interruptedRun();
    const bytes = new Uint8Array(readFileSync(run.checkpointPath));
    const { header } = layout(bytes);
    const text = new TextDecoder().decode(bytes.subarray(...header));
    const at = text.indexOf('\\"step\\":4');
    expect(at).toBeGreaterThan(0);
    bytes[header[0] + at + '\\"step\\":'.length] = '5'.charCodeAt(0);
    writeFileSync(run.checkpointPath, bytes);
    await expect(runTraining(config, { run })).rejects.toThrow(/checkpoint\.safetensors: the training state does not match its SHA-256 checksum/);
  });
});
