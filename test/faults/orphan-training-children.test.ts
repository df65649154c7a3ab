import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirectory } from '../../src/train/run-store.js';
import { killHard, scratchFolders, startCliUntil } from './helpers.js';

/**
 * Fault: a local sweep killed with kill -9 left its training children running with no parent;
 * re-running the sweep then trained the same folders twice at once. Now each child watches the
 * process that forked it and exits when it is gone. The test reads the process list (/proc):
 * the sweep's children, found by their parent pid, are all gone soon after the sweep is killed,
 * and their run folders are free for the next writer.
 */
const scratch = scratchFolders('orphans');

/** Pids of the live (not zombie) job processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while listing
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) !== pid || state === 'Z') continue;
    // Job processes only (tsx runs an esbuild service beside them).
    if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('job-process')) found.push(Number(entry));
  }
  return found;
}

/**
 * Whether `pid` is a live process: any of its threads is not a zombie. (The main thread of an
 * exiting process turns zombie first; the others, and the files they share — such as a run
 * folder's lock — last a moment longer.)
 */
function running(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((task) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

describe.runIf(existsSync('/proc/self/stat'))('fault: a killed sweep leaves orphan training processes', { timeout: 300_000 }, () => {
  it('its children exit once the sweep is killed with SIGKILL, freeing their run folders', async () => {
    const top = scratch();
    const file = join(top, 'spec.json');
    // Long enough that neither run can finish before the kill.
    writeFileSync(file, JSON.stringify({
      name: 'orphans', base: { model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 200, testSubset: 50, batchSize: 20, epochs: 400 }, seeds: [0, 1],
    }));
    const store = join(top, 'store');
    const sweep = await startCliUntil(['experiment', file, '--store', store, '--no-report', '--workers', '2', '--threads', '1'], { SKIPLAB_BACKEND: 'ts' }, 'epoch 1/400');
    const children = childrenOf(sweep.pid!);
    expect(children.length, 'both runs train in children of the sweep').toBe(2);
    await killHard(sweep);
    while (children.some(running)) await new Promise((wake) => setTimeout(wake, 100));
    expect(children.filter(running)).toEqual([]);

    // Nothing holds the run folders any more: a new writer takes each at once.
    for (const run of ['seed-0', 'seed-1']) {
      const lock = await new RunDirectory(join(store, 'orphans', run)).lock();
      await lock.release();
    }
  });
});
