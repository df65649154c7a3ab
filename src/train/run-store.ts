import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '../io/atomic-write.js';

/**
 * A run is a folder (DESIGN.md decision 5): config.json, metrics.jsonl, checkpoint.safetensors
 * (+ checkpoint.json for people), summary.json. Every write is atomic except the metrics append,
 * whose lines a resumed run trims back to what its checkpoint had seen; every read validates and
 * names the file and what is wrong.
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

export class RunStoreError extends Error {
  override name = 'RunStoreError';
}

const encoder = new TextEncoder();

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

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export class RunDirectory {
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

  appendMetrics(record: MetricsRecord): void {
    appendFileSync(this.metricsPath, JSON.stringify(record) + '\n');
  }

  /** Every complete metrics line; a torn last line (a crash mid-append) is dropped. */
  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.metricsPath)) return [];
    const text = readFileSync(this.metricsPath, 'utf8');
    const lines = text.split('\n');
    const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines.slice(0, -1);
    return complete.filter((l) => l.trim().length > 0).map((line, i) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new RunStoreError(`${this.metricsPath}: line ${i + 1} is not valid JSON`);
      }
      const parsed = metricsRecordSchema.safeParse(value);
      if (!parsed.success) throw new RunStoreError(`${this.metricsPath}: line ${i + 1}: ${describeIssues(parsed.error.issues)}`);
      return parsed.data;
    });
  }

  /** Keep only the first `count` records (a resumed run rewinds to its checkpoint). */
  truncateMetrics(count: number): void {
    const kept = this.readMetrics().slice(0, count);
    writeFileAtomicSync(this.metricsPath, encoder.encode(kept.map((r) => JSON.stringify(r) + '\n').join('')));
  }

  writeSummary(summary: RunSummary): void {
    writeFileAtomicSync(this.summaryPath, encoder.encode(JSON.stringify(summary, null, 2) + '\n'));
  }

  readSummary(): RunSummary | null {
    if (!existsSync(this.summaryPath)) return null;
    const parsed = runSummarySchema.safeParse(readJson(this.summaryPath));
    if (!parsed.success) throw new RunStoreError(`${this.summaryPath}: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
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
