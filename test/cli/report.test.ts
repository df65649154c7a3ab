import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('skiplab report', () => {
  it('builds a self-contained report for a run folder from its stored metrics', () => {
    const root = mkdtempSync(join(tmpdir(), 'skiplab-report-'));
    dirs.push(root);
    const run = join(root, 'mine');
    const trained = runCli(['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '2', '--train-subset', '500', '--test-subset', '200', '--run-dir', run, '--json']);
    expect(trained.status, trained.stderr).toBe(0);
    const metrics = JSON.parse(trained.stdout);
    const r = runCli(['report', run]);
    expect(r.status, r.stderr).toBe(0);
    const path = r.stdout.trim();
    expect(path).toBe(join(run, 'report.html'));
    const html = readFileSync(path, 'utf8');
    expect(html).toMatch(/mlp on mnist/);
    expect(html).toContain(`test error ${((1 - metrics.testAccuracy) * 100).toFixed(2)} %`);
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('names what is wrong with a folder that is neither an experiment nor a run', () => {
    const empty = mkdtempSync(join(tmpdir(), 'skiplab-report-'));
    dirs.push(empty);
    const r = runCli(['report', empty]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/experiment\.json: not found/);
  });
});
