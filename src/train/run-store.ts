import { createHash, type Hash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseTemporaryName, writeFileAtomicSync } from '../io/atomic-write.js';
import { FolderLockedError, lockFolder, OWNER_FILE, processIsAlive, type FolderLock, type LockMechanism } from '../io/folder-lock.js';
import { UserInputError } from '../util/errors.js';
import { describeIssues } from '../util/zod-issues.js';

/**
 * A run is a folder (DESIGN.md decision 5): config.json, metrics.jsonl, checkpoint.safetensors
 * (+ checkpoint.json for people), summary.json. One process writes it at a time, holding its
 * lock (see `lock`). Every write is atomic except the metrics append, and the checkpoint — not
 * the metrics file — is the source of truth on resume: it records how many metrics lines it
 * covers and their hash, so a metrics file that lost, changed or gained lines is refused instead
 * of being trusted or written over. Every read validates and names the file and what is wrong.
 */
export const metricsRecordSchema = z.object({
  kind: z.enum(['step', 'epoch']),
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  lr: z.number(),
}).catchall(z.unknown());

export type MetricsRecord = z.infer<typeof metricsRecordSchema>;

export const runSummarySchema = z.object({
  status: z.enum(['complete', 'failed']),
  epochs: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  error: z.string().optional(),
}).catchall(z.unknown());

export type RunSummary = z.infer<typeof runSummarySchema>;

export class RunStoreError extends UserInputError {
  override name = 'RunStoreError';
}

/** Another process is writing the run folder (not a defect of the run: retrying later may work). */
export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

/** What a checkpoint knows about the metrics written before it. */
export interface MetricsCoverage {
  /** Complete lines of metrics.jsonl written before the checkpoint. */
  lines: number;
  /** SHA-256 of those lines' bytes (each with its newline). */
  sha256: string;
}

/** Where training stood at the checkpoint: a line after it must come later. */
export interface CheckpointPosition extends MetricsCoverage {
  /** Epochs completed. */
  epoch: number;
  step: number;
}

const encoder = new TextEncoder();

/** Files of a run folder (atomic writers leave temporary files named after these). */
const RUN_FILES = ['config.json', 'metrics.jsonl', 'checkpoint.safetensors', 'checkpoint.json', 'summary.json', OWNER_FILE];

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RunStoreError(`${path}: cannot read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RunStoreError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

export class RunDirectory {
  private heldLock: FolderLock | null = null;
  /** Hash and count of the metrics lines on disk, once rewound (appends keep them current). */
  private metricsHash: Hash | null = null;
  private metricsCount = 0;

  constructor(readonly path: string) {}

  get configPath(): string {
    return join(this.path, 'config.json');
  }
  get metricsPath(): string {
    return join(this.path, 'metrics.jsonl');
  }
  get checkpointPath(): string {
    return join(this.path, 'checkpoint.safetensors');
  }
  get checkpointInfoPath(): string {
    return join(this.path, 'checkpoint.json');
  }
  get summaryPath(): string {
    return join(this.path, 'summary.json');
  }
  /** The model's weights after `epoch` epochs (0: at initialisation), kept when the config asks for snapshots. */
  weightsPath(epoch: number): string {
    return join(this.path, 'weights', `epoch-${epoch}.safetensors`);
  }

  /**
   * Take the run folder's exclusive lock (creating the folder), so no other process can train
   * into it until this one releases it or dies; then remove temporary files that writers killed
   * mid-write left behind. A second writer gets a RunLockedError naming the holder.
   */
  async lock(options: { mechanism?: LockMechanism } = {}): Promise<{ release(): Promise<void> }> {
    if (this.heldLock) throw new RunStoreError(`${this.path}: this run folder is already locked by this RunDirectory`);
    mkdirSync(this.path, { recursive: true });
    let lock: FolderLock;
    try {
      lock = await lockFolder(this.path, options);
    } catch (error) {
      if (!(error instanceof FolderLockedError)) throw error;
      const holder = error.owner ? `pid ${error.owner.pid} on ${error.owner.host}, since ${error.owner.since}: ${error.owner.command}` : 'a process starting up';
      throw new RunLockedError(`${this.path}: another process is writing this run folder (${holder}); two writers would interleave its metrics and checkpoints — wait for it to finish or stop it`);
    }
    this.heldLock = lock;
    this.removeStaleTemporaryFiles();
    return {
      release: async () => {
        if (this.heldLock !== lock) return;
        this.heldLock = null;
        this.metricsHash = null;
        await lock.release();
      },
    };
  }

  get isLocked(): boolean {
    return this.heldLock !== null;
  }

  private requireLock(what: string): void {
    if (!this.heldLock) throw new RunStoreError(`${this.path}: cannot ${what} without the run folder's lock (await run.lock() first)`);
  }

  /** Temporary files of this folder's own files whose writer is no longer running. */
  private removeStaleTemporaryFiles(): void {
    for (const name of readdirSync(this.path)) {
      const temporary = parseTemporaryName(name);
      if (!temporary || !RUN_FILES.includes(temporary.target)) continue;
      if (temporary.pid === process.pid || processIsAlive(temporary.pid)) continue;
      rmSync(join(this.path, name), { force: true });
    }
  }

  /**
   * Create the folder and write the config; an existing run must have the same config. Its `data`
   * record (the files trained on, known only once the data is loaded) may be added to a config
   * written without one, never changed: a run resumed on other files would mix two datasets.
   */
  initialize(config: unknown): void {
    mkdirSync(this.path, { recursive: true });
    const text = JSON.stringify(config, null, 2);
    if (existsSync(this.configPath)) {
      const existing = readJson(this.configPath);
      const [before, after] = [splitDataRecord(existing), splitDataRecord(config)];
      if (JSON.stringify(before.rest) !== JSON.stringify(after.rest)) throw new RunStoreError(`${this.configPath}: the run folder holds a different config; use another run id or delete the folder`);
      // A caller that does not know the data yet (an executor re-initialising the run) adds nothing.
      if (after.data === undefined) return;
      if (before.data !== undefined) {
        if (dataIdentity(before.data) !== dataIdentity(after.data)) {
          throw new RunStoreError(`${this.configPath}: the run was trained on other data files (config.json "data"); restore them (--data-dir, SKIPLAB_DATA) or delete the folder`);
        }
        return;
      }
    }
    writeFileAtomicSync(this.configPath, encoder.encode(text + '\n'));
  }

  readConfig<T>(schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(readJson(this.configPath));
    if (!parsed.success) throw new RunStoreError(`${this.configPath}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  }

  /** The complete lines of metrics.jsonl as text, and whether a torn last line (a crash mid-append) was dropped. */
  private metricsText(): { lines: string[]; torn: boolean } {
    if (!existsSync(this.metricsPath)) return { lines: [], torn: false };
    const lines = readFileSync(this.metricsPath, 'utf8').split('\n');
    return { lines: lines.slice(0, -1).filter((l) => l.trim().length > 0), torn: lines[lines.length - 1] !== '' };
  }

  private parseMetricsLine(line: string, index: number): MetricsRecord {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new RunStoreError(`${this.metricsPath}: line ${index + 1} is not valid JSON`);
    }
    const parsed = metricsRecordSchema.safeParse(value);
    if (!parsed.success) throw new RunStoreError(`${this.metricsPath}: line ${index + 1}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  }

  /** Every complete metrics line; a torn last line (a crash mid-append) is dropped. */
  readMetrics(): MetricsRecord[] {
    return this.metricsText().lines.map((line, i) => this.parseMetricsLine(line, i));
  }

  /**
   * Bring metrics.jsonl back to what the checkpoint at `position` had seen (null: no checkpoint
   * yet), before training continues from it, and return those records. Lines written after the
   * checkpoint (a run killed mid-epoch) are dropped: training from the checkpoint writes them
   * again. Anything else is refused and nothing is written: fewer lines than the checkpoint
   * covers (deleted or truncated), covered lines that changed, or later lines that do not come
   * after the checkpoint (another writer, or a deleted checkpoint).
   */
  rewindMetrics(position: CheckpointPosition | null): MetricsRecord[] {
    this.requireLock('rewind metrics.jsonl');
    const { lines, torn } = this.metricsText();
    const covered = position?.lines ?? 0;
    const where = position ? `the checkpoint (after epoch ${position.epoch}, step ${position.step})` : 'no checkpoint yet';
    const remedy = 'restore the file, or train again in a new run folder';
    if (lines.length < covered) {
      throw new RunStoreError(`${this.metricsPath}: has ${lines.length} complete lines but ${where} covers ${covered}; it was truncated or deleted — ${remedy}`);
    }
    const hash = createHash('sha256');
    for (const line of lines.slice(0, covered)) hash.update(line + '\n');
    if (position && hash.copy().digest('hex') !== position.sha256) {
      throw new RunStoreError(`${this.metricsPath}: lines 1-${covered} are not the lines ${where} covers (edited, or written by another process) — ${remedy}`);
    }
    const records = lines.map((line, i) => this.parseMetricsLine(line, i));
    for (let i = covered; i < records.length; i++) {
      const r = records[i]!;
      const after = position ? r.epoch === position.epoch && r.step > position.step : r.epoch === 0;
      if (!after) {
        throw new RunStoreError(`${this.metricsPath}: line ${i + 1} (epoch ${r.epoch}, step ${r.step}) does not come after ${where}; ${position ? 'another process wrote it' : 'was checkpoint.safetensors deleted?'} — ${remedy}`);
      }
    }
    if (lines.length > covered || torn) writeFileAtomicSync(this.metricsPath, encoder.encode(lines.slice(0, covered).map((l) => l + '\n').join('')));
    this.metricsHash = hash;
    this.metricsCount = covered;
    return records.slice(0, covered);
  }

  appendMetrics(record: MetricsRecord): void {
    this.requireLock('append to metrics.jsonl');
    if (!this.metricsHash) throw new RunStoreError(`${this.metricsPath}: rewindMetrics() must run before the first append`);
    const line = JSON.stringify(record) + '\n';
    appendFileSync(this.metricsPath, line);
    this.metricsHash.update(line);
    this.metricsCount++;
  }

  /** The metrics lines written so far and their hash, for the next checkpoint. */
  metricsCoverage(): MetricsCoverage {
    if (!this.metricsHash) throw new RunStoreError(`${this.metricsPath}: rewindMetrics() must run before a checkpoint`);
    return { lines: this.metricsCount, sha256: this.metricsHash.copy().digest('hex') };
  }

  /** Write a file of the run atomically, holding the lock. */
  writeRunFile(path: string, data: Uint8Array): void {
    this.requireLock(`write ${path}`);
    writeFileAtomicSync(path, data);
  }

  /**
   * Write summary.json. A complete summary is final: it is never replaced by a failed one or by
   * one with fewer epochs (that would be worse data about the same run).
   */
  writeSummary(summary: RunSummary): void {
    const existing = existsSync(this.summaryPath) ? this.readSummary() : null;
    if (existing?.status === 'complete' && (summary.status !== 'complete' || summary.epochs < existing.epochs)) {
      throw new RunStoreError(`${this.summaryPath}: the run is complete (${existing.epochs} epochs); refusing to replace its summary with a ${summary.status} one of ${summary.epochs} epochs`);
    }
    writeFileAtomicSync(this.summaryPath, encoder.encode(JSON.stringify(summary, null, 2) + '\n'));
  }

  readSummary(): RunSummary | null {
    if (!existsSync(this.summaryPath)) return null;
    const parsed = runSummarySchema.safeParse(readJson(this.summaryPath));
    if (!parsed.success) throw new RunStoreError(`${this.summaryPath}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  }

  hasWeights(epoch: number): boolean {
    return existsSync(this.weightsPath(epoch));
  }

  hasCheckpoint(): boolean {
    return existsSync(this.checkpointPath);
  }

  isComplete(): boolean {
    return this.readSummary()?.status === 'complete';
  }
}

/** A config's `data` record apart from the rest (undefined when it has none). */
function splitDataRecord(config: unknown): { rest: unknown; data: unknown } {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return { rest: config, data: undefined };
  const { data, ...rest } = config as Record<string, unknown>;
  return { rest, data };
}

/** What must not change when a run resumes: the data's kind and file contents (not the folder they sit in). */
function dataIdentity(data: unknown): string {
  const record = data as { dataset?: unknown; kind?: unknown; files?: { contentSha256?: unknown }[] } | null | undefined;
  if (!record || typeof record !== 'object') return JSON.stringify(record ?? null);
  return JSON.stringify([record.dataset, record.kind, Array.isArray(record.files) ? record.files.map((f) => f?.contentSha256) : null]);
}
