import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirectory } from '../../src/train/run-store.js';
import { runCli } from '../helpers/cli.js';
import { killHard, scratchFolders, startCliUntil } from './helpers.js';

/**
 * Fault: two `skiplab train --resume D` on one run folder both ran, interleaving metrics.jsonl.
 * Now the first holds the folder's lock until it exits; the second is refused, naming the
 * holder; after the holder is killed with SIGKILL the lock is free again at once.
 */
const scratch = scratchFolders('writers');
const args = ['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '3', '--train-subset', '300', '--test-subset', '100', '--batch-size', '100', '--json'];
const strip = (r: Record<string, unknown>): Record<string, unknown> => {
  const { seconds: _s, imagesPerSecond: _i, ...rest } = r;
  return rest;
};

describe('fault: two writers on one run folder', { timeout: 300_000 }, () => {
  it('refuses a second `train --resume` while the first runs, and frees the folder when the first is killed', async () => {
    const reference = join(scratch(), 'reference');
    expect(runCli([...args, '--run-dir', reference]).status).toBe(0);

    const folder = join(scratch(), 'run');
    // The first writer stops (holding the folder) just before renaming its second checkpoint.
    const first = await startCliUntil([...args, '--run-dir', folder], { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:2' }, 'skiplab-failpoint');
    try {
      const second = runCli(['train', '--resume', folder, '--json']);
      expect(second.status, second.stdout).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`another process is writing this run folder \\(pid ${first.pid} `));
      expect(second.stdout).toBe('');
    } finally {
      await killHard(first);
    }

    const resumed = runCli(['train', '--resume', folder, '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).resumed).toBe(true);
    const run = new RunDirectory(folder);
    expect(run.readMetrics().map(strip)).toEqual(new RunDirectory(reference).readMetrics().map(strip));
    expect(readdirSync(folder).filter((f) => f.endsWith('.tmp')), 'the killed writer\'s temporary checkpoint is cleaned up').toEqual([]);
  });
});
