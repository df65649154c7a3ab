import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';
import { killHard, scratchFolders, startCliUntil } from './helpers.js';

/**
 * Fault: resume trusted metrics.jsonl. With it deleted, resuming a complete run crashed after
 * overwriting a good summary.json with `epochs: 0, final: null`; resuming an interrupted run
 * exited 0 reporting fewer epochs than it trained; a re-run with no checkpoint yet duplicated
 * the epoch-0 line. Now the checkpoint is the source of truth (it records how many lines it
 * covers and their hash); a metrics file that does not hold them is refused, nothing written.
 */
const scratch = scratchFolders('metrics');
const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 300, testSubset: 100, epochs: 3, batchSize: 50, lr: 0.05, logEverySteps: 2, seed: 4 });
const crashAfterEpoch = (n: number) => ({ onEpoch: (r: { epoch: number }) => { if (r.epoch === n) throw new Error('simulated crash'); } });
const timing = (r: Record<string, unknown>): Record<string, unknown> => {
  const { seconds: _s, imagesPerSecond: _i, ...rest } = r;
  return rest;
};

async function completeRun(): Promise<RunDirectory> {
  const run = new RunDirectory(join(scratch(), 'run'));
  await runTraining(config, { run });
  return run;
}

async function interruptedRun(): Promise<RunDirectory> {
  const run = new RunDirectory(join(scratch(), 'run'));
  await expect(runTraining(config, { run, callbacks: [crashAfterEpoch(1)] })).rejects.toThrow('simulated crash');
  return run;
}

describe('fault: resume trusts metrics.jsonl', { timeout: 300_000 }, () => {
  it('refuses to resume a complete run whose metrics.jsonl was deleted, leaving summary.json as it was', async () => {
    const run = await completeRun();
    const summary = readFileSync(run.summaryPath, 'utf8');
    rmSync(run.metricsPath);
    await expect(runTraining(config, { run })).rejects.toThrow(/metrics\.jsonl: has 0 complete lines but the checkpoint \(after epoch 3, step 18\) covers \d+; it was truncated or deleted/);
    expect(readFileSync(run.summaryPath, 'utf8')).toBe(summary);
  });

  it('refuses to resume an interrupted run whose metrics.jsonl was deleted or truncated', async () => {
    const run = await interruptedRun();
    const metrics = readFileSync(run.metricsPath, 'utf8');
    rmSync(run.metricsPath);
    await expect(runTraining(config, { run })).rejects.toThrow(/truncated or deleted/);
    writeFileSync(run.metricsPath, metrics.split('\n').slice(0, 3).join('\n') + '\n');
    await expect(runTraining(config, { run })).rejects.toThrow(/has 3 complete lines but the checkpoint \(after epoch 2, step 12\)/);
    expect(run.readSummary()!.status).toBe('failed');
  });

  it('refuses covered lines that were edited, and later lines that do not follow the checkpoint', async () => {
    const run = await interruptedRun();
    const metrics = readFileSync(run.metricsPath, 'utf8');
    writeFileSync(run.metricsPath, metrics.replace('"epoch":0', '"epoch":0,"note":"edited"'));
    await expect(runTraining(config, { run })).rejects.toThrow(/lines 1-\d+ are not the lines the checkpoint .* covers/);
    // A second writer's copy of an old epoch line after the checkpoint's lines.
    const firstEpochLine = metrics.split('\n').find((l) => l.includes('"kind":"epoch"'))!;
    writeFileSync(run.metricsPath, metrics + firstEpochLine + '\n');
    await expect(runTraining(config, { run })).rejects.toThrow(/line \d+ \(epoch 0, step 6\) does not come after the checkpoint/);
    expect(readFileSync(run.metricsPath, 'utf8')).toBe(metrics + firstEpochLine + '\n');
  });

  it('still drops lines written after the checkpoint by a run killed mid-epoch, and resumes to the uninterrupted metrics', async () => {
    const reference = await completeRun();
    const run = await interruptedRun();
    // Step lines of the epoch the crash interrupted.
    appendFileSync(run.metricsPath, JSON.stringify({ kind: 'step', epoch: 2, step: 14, lr: 0.05, loss: 1 }) + '\n');
    const outcome = await runTraining(config, { run });
    expect(outcome.resumed).toBe(true);
    expect(run.readMetrics().map(timing)).toEqual(reference.readMetrics().map(timing));
  });

  it('drops a last line torn by the kill (no newline) before appending, and resumes to the uninterrupted metrics', async () => {
    const reference = await completeRun();
    const run = await interruptedRun();
    appendFileSync(run.metricsPath, '{"kind":"step","epoch":2,"st');
    await runTraining(config, { run });
    expect(run.readMetrics().map(timing)).toEqual(reference.readMetrics().map(timing));
  });

  it('refuses to train a complete run again when its checkpoint was deleted', async () => {
    const run = await completeRun();
    const summary = readFileSync(run.summaryPath, 'utf8');
    rmSync(run.checkpointPath);
    await expect(runTraining(config, { run })).rejects.toThrow(/the run is complete but .*checkpoint\.safetensors is missing/);
    expect(readFileSync(run.summaryPath, 'utf8')).toBe(summary);
  });

  it('never replaces a complete summary with a failed one', async () => {
    const run = await completeRun();
    const summary = readFileSync(run.summaryPath, 'utf8');
    expect(() => run.writeSummary({ status: 'failed', epochs: 0, steps: 0, seconds: 0, error: 'x' })).toThrow(/the run is complete \(3 epochs\); refusing to replace its summary/);
    expect(readFileSync(run.summaryPath, 'utf8')).toBe(summary);
  });

  it('does not duplicate the epoch-0 line when a run killed before its first checkpoint is run again', async () => {
    const args = ['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '2', '--train-subset', '300', '--test-subset', '100', '--batch-size', '100', '--json'];
    const reference = join(scratch(), 'reference');
    expect(runCli([...args, '--run-dir', reference]).status).toBe(0);
    const folder = join(scratch(), 'killed');
    // Killed after the epoch-0 line is appended, before its checkpoint is renamed into place.
    await killHard(await startCliUntil([...args, '--run-dir', folder], { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:1' }, 'skiplab-failpoint'));
    const again = runCli([...args, '--run-dir', folder]);
    expect(again.status, again.stderr).toBe(0);
    const epochs = new RunDirectory(folder).readMetrics().filter((r) => r.kind === 'epoch');
    expect(epochs.map((r) => r.epoch)).toEqual([0, 1]);
    expect(new RunDirectory(folder).readMetrics().map(timing)).toEqual(new RunDirectory(reference).readMetrics().map(timing));
  });
});
