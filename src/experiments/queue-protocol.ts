import type { Redis } from 'ioredis';
import { z } from 'zod';
import { modelNames } from '../models/registry.js';
import { metricsRecordSchema, runSummarySchema } from '../train/run-store.js';
import { UserInputError } from '../util/errors.js';
import { checkRedisUrlSafety, redactRedisUrl } from './redis-url.js';

/**
 * What the coordinator and the queue workers agree on: the queue's name, the job payloads (a
 * training run or a measurement shard, as in jobs.ts; the BullMQ job name says which), their
 * results (a run's metrics, summary and weight files; a shard's result — so a coordinator on
 * another machine fills its own store), the progress record, weights passed through Redis as
 * content-addressed blobs, and how both sides connect to Redis. `ioredis` is only loaded, by
 * dynamic import, when a queue is used.
 */

/** One queue for every experiment: a worker serves whatever is submitted. */
export const QUEUE_NAME = 'skiplab-runs';

export { measureJobSchema, trainJobSchema, type MeasureJob, type TrainJob } from './jobs.js';

export const jobProgressSchema = z.object({
  worker: z.string(),
  epoch: z.number().int().nonnegative().optional(),
  epochs: z.number().int().positive().optional(),
  message: z.string().optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const trainJobResultSchema = z.object({
  /** BullMQ worker name, `host:pid`. */
  worker: z.string(),
  /** Where the worker keeps the run's checkpoint, and whether that folder is the shared store. */
  checkpoint: z.object({ host: z.string(), path: z.string(), shared: z.boolean() }),
  /** The attempt continued from a checkpoint of an earlier, interrupted attempt. */
  resumed: z.boolean(),
  imagesPerSecond: z.number().nonnegative(),
  metrics: z.array(metricsRecordSchema),
  summary: runSummarySchema,
  /** Weight snapshots the run kept (paths inside the run folder), each uploaded as a blob. */
  weights: z.array(z.object({ file: z.string().regex(/^weights\/epoch-\d+\.safetensors$/), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).default([]),
});
export type TrainJobResult = z.infer<typeof trainJobResultSchema>;

export const measureJobResultSchema = z.object({
  worker: z.string(),
  seconds: z.number().nonnegative(),
  result: z.unknown(),
});
export type MeasureJobResult = z.infer<typeof measureJobResultSchema>;

export class QueueError extends UserInputError {
  override name = 'QueueError';
}

/** Weights travel between machines as blobs keyed by their SHA-256 (written once, read by any worker). */
export const blobKey = (sha256: string): string => `skiplab:blob:${sha256}`;

/** Store `bytes` under their hash unless already there. */
export async function uploadBlob(client: Redis, sha256: string, bytes: Uint8Array): Promise<void> {
  await client.set(blobKey(sha256), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'NX');
}

export async function downloadBlob(client: Redis, sha256: string): Promise<Buffer | null> {
  return client.getBuffer(blobKey(sha256));
}

/** Null when the model exists, else the error text naming it and the known ones. */
export function unknownModelError(model: string): string | null {
  const known = modelNames();
  return known.includes(model) ? null : `unknown model '${model}'; known models: ${known.join(', ')}`;
}

/**
 * Connect to Redis for BullMQ. A first probe fails fast (one try, 3 s) so a wrong URL is a clear
 * error now instead of a silent reconnect loop; the connection returned then retries forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires), which is what carries a sweep across a
 * Redis restart: commands wait for the server to come back. The URL is checked first
 * (redis-url.ts): Redis on another machine needs a password unless `insecure`; `rediss://` is TLS
 * and `redis://user:password@host` an ACL user, both handled by ioredis.
 */
export async function connectRedis(url: string, onError: (message: string) => void = () => {}, options: { insecure?: boolean } = {}): Promise<Redis> {
  for (const warning of checkRedisUrlSafety(url, options).warnings) onError(warning);
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000, enableOfflineQueue: false });
  // The 'error' event carries the cause (ECONNREFUSED, ENOTFOUND…); connect() only says "closed".
  let cause: Error | null = null;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new QueueError(`cannot reach Redis at ${redactRedisUrl(url)}: ${(cause ?? (error as Error)).message || String(error)}`);
  } finally {
    probe.disconnect();
  }
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  // ioredis emits 'error' on every failed reconnect; report the first of each outage only.
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) onError(`Redis at ${redactRedisUrl(url)}: ${error.message}; reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down) onError(`Redis at ${redactRedisUrl(url)}: reconnected`);
    down = false;
  });
  return client;
}
