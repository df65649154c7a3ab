import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { canonicalJson } from './json.js';
import { measureJobSchema, type MeasureJob } from './jobs.js';
import { storePath } from './store-path.js';

/**
 * One finished shard of a measurement, as a file: `<store>/<experiment>/shards/<step>/<shard>.json`
 * holding the job it answers, its result and who computed it. A shard whose file holds the same
 * job is done, so an interrupted measurement resumes from its finished shards (a killed 2-D
 * landscape keeps its finished rows); a shard planned from other weights or parameters is
 * computed again.
 */
export const shardRecordSchema = z.object({
  job: measureJobSchema,
  result: z.unknown(),
  /** Worker name (`host:pid`) or "local". */
  worker: z.string(),
  /** Attempts the executor needed (a retried shard had its first worker die). */
  attempts: z.number().int().positive(),
  seconds: z.number().nonnegative(),
});
export type ShardRecord = z.infer<typeof shardRecordSchema>;

export function shardPath(root: string, job: Pick<MeasureJob, 'experiment' | 'step' | 'shard'>): string {
  return storePath(root, job.experiment, 'shards', job.step, `${job.shard}.json`);
}

/** The shard's record, or null when it is missing, unreadable, or answers another job. */
export function readShard(root: string, job: MeasureJob): ShardRecord | null {
  const path = shardPath(root, job);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // a torn or hand-edited file is computed again
  }
  const parsed = shardRecordSchema.safeParse(raw);
  if (!parsed.success || canonicalJson(parsed.data.job) !== canonicalJson(job)) return null;
  return parsed.data;
}

export function writeShard(root: string, record: ShardRecord): void {
  const path = shardPath(root, record.job);
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, new TextEncoder().encode(JSON.stringify(record) + '\n'));
}
