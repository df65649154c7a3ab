import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';
import { deadPid, killHard, scratchFolders, startCliUntil } from './helpers.js';

/**
 * Fault: every kill during a checkpoint write left a `.checkpoint.safetensors.*.tmp` that nothing
 * ever removed. Now the next writer of the run folder removes the temporary files of the
 * folder's own files whose writer is dead — and nothing else.
 */
const scratch = scratchFolders('tmp');
const args = ['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '2', '--train-subset', '200', '--test-subset', '100', '--batch-size', '100', '--json'];

describe('fault: temporary files of killed writers', { timeout: 300_000 }, () => {
  it('removes the temporary checkpoint a killed run left, on --resume', async () => {
    const folder = join(scratch(), 'run');
    await killHard(await startCliUntil([...args, '--run-dir', folder], { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:2' }, 'skiplab-failpoint'));
    expect(readdirSync(folder).filter((f) => f.startsWith('.checkpoint.safetensors.') && f.endsWith('.tmp'))).toHaveLength(1);
    const resumed = runCli(['train', '--resume', folder, '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('removes only the run files\' temporaries of dead writers', async () => {
    const folder = join(scratch(), 'run');
    const run = new RunDirectory(folder);
    const config = parseTrainConfig({ model: 'mlp', modelOptions: { width: 8 }, dataset: 'mnist', trainSubset: 100, testSubset: 50, epochs: 1, batchSize: 50, seed: 1 });
    await runTraining(config, { run });
    const dead = await deadPid();
    const files = {
      deadCheckpoint: `.checkpoint.safetensors.${dead}-lx2k3-a1b2c3.tmp`,
      deadSummary: `.summary.json.${dead}-lx2k3-d4e5f6.tmp`,
      // A live process's write in progress (the test runner itself stands in for it).
      liveMetrics: `.metrics.jsonl.${process.ppid}-lx2k3-aaaaaa.tmp`,
      // Not a file of the run: someone else's.
      notOurs: `.notes.txt.${dead}-lx2k3-bbbbbb.tmp`,
      userFile: 'my-results.tmp',
    };
    for (const name of Object.values(files)) writeFileSync(join(folder, name), 'x');
    const lock = await run.lock();
    await lock.release();
    expect(existsSync(join(folder, files.deadCheckpoint))).toBe(false);
    expect(existsSync(join(folder, files.deadSummary))).toBe(false);
    for (const kept of [files.liveMetrics, files.notOurs, files.userFile]) expect(existsSync(join(folder, kept)), kept).toBe(true);
  });
});
