import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory } from '../train/run-store.js';
import { CheckpointError } from '../util/errors.js';
import { describeIssues } from '../util/zod-issues.js';
import { localWeightsPath } from './executor.js';
import type { Job as PlannedJob, MeasureJob, TrainJob } from './jobs.js';
import { downloadBlob, measureJobResultSchema, trainJobResultSchema, uploadBlob } from './queue-protocol.js';
import { writeShard } from './shards.js';
import { storePath } from './store-path.js';
import { sha256Hex } from './weights-file.js';

/**
 * The coordinator's side of results: a finished queue job's result written into the coordinator's
 * own store (so the machines need not share a filesystem) — a run's metrics, its weight
 * snapshots (fetched from Redis) and its summary last, as the completion mark; a shard's record.
 * And the other direction: the weights a measurement reads, uploaded before its jobs are queued.
 */

/** Write `bytes` to `path` unless it already holds them. */
function placeFile(path: string, bytes: Uint8Array): void {
  if (existsSync(path) && sha256Hex(readFileSync(path)) === sha256Hex(bytes)) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, bytes);
}

/** Null when collected, else why the result is unusable. */
export async function collectTrain(root: string, planned: TrainJob, job: Job, client: Redis): Promise<string | null> {
  const parsed = trainJobResultSchema.safeParse(job.returnvalue);
  if (!parsed.success) return `job ${job.id} finished with a result that is not a run result: ${describeIssues(parsed.error.issues)}`;
  const result = parsed.data;
  const directory = new RunDirectory(storePath(root, planned.experiment, planned.run));
  directory.initialize(planned.config);
  writeFileAtomicSync(directory.metricsPath, new TextEncoder().encode(result.metrics.map((r) => JSON.stringify(r) + '\n').join('')));
  for (const { file, sha256 } of result.weights) {
    const bytes = await downloadBlob(client, sha256);
    if (!bytes || sha256Hex(bytes) !== sha256) return `job ${job.id}: the weights ${file} (${sha256}) are missing from Redis`;
    placeFile(join(directory.path, file), bytes);
  }
  directory.writeSummary({
    ...result.summary,
    executor: { kind: 'bullmq', worker: result.worker, attempts: job.attemptsStarted, resumed: result.resumed, checkpoint: result.checkpoint },
  });
  return null;
}

export function collectMeasure(root: string, planned: MeasureJob, job: Job): string | null {
  const parsed = measureJobResultSchema.safeParse(job.returnvalue);
  if (!parsed.success) return `job ${job.id} finished with a result that is not a shard result: ${describeIssues(parsed.error.issues)}`;
  writeShard(root, { job: planned, result: parsed.data.result, worker: parsed.data.worker, attempts: Math.max(1, job.attemptsStarted), seconds: parsed.data.seconds });
  return null;
}

/** Upload every weights file the measurement jobs read, checking each is still the file they were planned with. */
export async function uploadWeights(root: string, jobs: readonly PlannedJob[], client: Redis): Promise<void> {
  const done = new Set<string>();
  for (const job of jobs) {
    if (job.kind !== 'measure') continue;
    for (const source of Object.values(job.data.sources)) {
      if (done.has(source.weights.sha256)) continue;
      const path = localWeightsPath(root, source.weights);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch (error) {
        throw new CheckpointError(`${path}: cannot read the weights to send to the workers (${(error as Error).message})`);
      }
      if (sha256Hex(bytes) !== source.weights.sha256) throw new CheckpointError(`${path}: changed since the measurement was planned; run the experiment again`);
      await uploadBlob(client, source.weights.sha256, bytes);
      done.add(source.weights.sha256);
    }
  }
}
