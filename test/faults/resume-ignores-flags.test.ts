import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../../src/train/config.js';
import { RunDirectory } from '../../src/train/run-store.js';
import { runTraining } from '../../src/train/run-training.js';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: `skiplab train --resume D --epochs 8 --lr 0.5` ignored the new flags and trained with
 * D's config, exit 0. A resumed run continues exactly as configured, so such flags are refused.
 */
const scratch = scratchFolders('flags');

describe('fault: --resume ignores other flags', { timeout: 300_000 }, () => {
  it('refuses flags that would change the resumed run, naming them, and writes nothing', async () => {
    const run = join(scratch(), 'run');
    await runTraining(parseTrainConfig({ model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 200, testSubset: 100, epochs: 1, batchSize: 100 }), { run: new RunDirectory(run) });
    const files = ['config.json', 'metrics.jsonl', 'summary.json'].map((f) => readFileSync(join(run, f), 'utf8'));
    const r = runCli(['train', '--resume', run, '--epochs', '8', '--lr', '0.5', '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--resume continues .* exactly as its config\.json describes; --epochs, --lr cannot change it/);
    // Even a flag repeating a default (--model mlp) is refused: it would not be read.
    expect(runCli(['train', '--resume', run, '--model', 'mlp']).stderr).toMatch(/--model cannot change it/);
    expect(['config.json', 'metrics.jsonl', 'summary.json'].map((f) => readFileSync(join(run, f), 'utf8'))).toEqual(files);
  });
});
