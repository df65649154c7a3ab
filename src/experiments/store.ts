import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory, RunStoreError } from '../train/run-store.js';
import { storePath } from './store-path.js';
import { expandSpec, parseExperimentSpec, type ExperimentSpec, type PlannedRun } from './spec.js';

/**
 * An experiment folder: `experiment.json` (the spec) and one run folder per planned run. Reports
 * read only this, so they can be rebuilt at any time, and a sweep can be resumed after a crash.
 */
export class ExperimentStore {
  readonly path: string;

  constructor(root: string, readonly spec: ExperimentSpec) {
    this.path = storePath(root, spec.name);
  }

  /** Open an existing experiment folder by reading its spec. */
  static open(path: string): ExperimentStore {
    const specPath = join(path, 'experiment.json');
    if (!existsSync(specPath)) throw new RunStoreError(`${specPath}: not found — is ${path} an experiment folder (made by \`skiplab experiment\`)?`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(specPath, 'utf8'));
    } catch (error) {
      throw new RunStoreError(`${specPath}: not valid JSON (${(error as Error).message})`);
    }
    const spec = parseExperimentSpec(raw, specPath);
    const store = new ExperimentStore(join(path, '..'), spec);
    return Object.assign(store, { path });
  }

  /**
   * Write the spec (atomically) and check the config of every run folder already there; returns
   * the planned runs. Run folders are made when their runs start, not here.
   */
  prepare(): PlannedRun[] {
    const runs = this.runs();
    mkdirSync(this.path, { recursive: true });
    writeFileAtomicSync(join(this.path, 'experiment.json'), new TextEncoder().encode(JSON.stringify(this.spec, null, 2) + '\n'));
    for (const r of runs) {
      const run = this.runDirectory(r);
      if (existsSync(run.path)) run.initialize(r.config);
    }
    return runs;
  }

  runs(): PlannedRun[] {
    return expandSpec(this.spec);
  }

  runDirectory(run: PlannedRun | string): RunDirectory {
    return new RunDirectory(storePath(this.path, typeof run === 'string' ? run : run.id));
  }

  /** Run folders present on disk (including any not in the spec any more). */
  runFolders(): string[] {
    if (!existsSync(this.path)) return [];
    return readdirSync(this.path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  }
}
