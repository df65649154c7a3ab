import type { Redis } from 'ioredis';
import { z } from 'zod';
import { modelNames } from '../models/registry.js';
import { trainConfigSchema } from '../train/config.js';
import { metricsRecordSchema, runSummarySchema } from '../train/run-store.js';

/**
 * What the coordinator and the queue workers agree on: the queue's name, the job payload (one
 * planned run), the job result (its metrics and summary, so a coordinator on another machine
 * fills its own run store), the progress record, and how both sides connect to Redis.
 * `ioredis` is only loaded, by dynamic import, when a queue is used.
 */

/** One queue for every experiment: a worker serves whatever is submitted. */
export const QUEUE_NAME = 'skiplab-runs';

// Experiment and run ids become folder names on the worker, so nothing that walks the tree.
const folderName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._=+,-]*$/, 'must be a plain folder name (letters, digits and . _ = + , -)');

export const runJobSchema = z.strictObject({
  experiment: folderName,
  run: folderName,
  config: trainConfigSchema,
});
export type RunJob = z.infer<typeof runJobSchema>;

export const runProgressSchema = z.object({
  worker: z.string(),
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().positive(),
  message: z.string().optional(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

export const runJobResultSchema = z.object({
  /** BullMQ worker name, `host:pid`. */
  worker: z.string(),
  /** Where the worker keeps the run's checkpoint, and whether that folder is the shared store. */
  checkpoint: z.object({ host: z.string(), path: z.string(), shared: z.boolean() }),
  /** The attempt continued from a checkpoint of an earlier, interrupted attempt. */
  resumed: z.boolean(),
  imagesPerSecond: z.number().nonnegative(),
  metrics: z.array(metricsRecordSchema),
  summary: runSummarySchema,
});
export type RunJobResult = z.infer<typeof runJobResultSchema>;

/** The job id is the run's place in a store, so submitting a spec twice never duplicates work. */
export function jobIdOf(experiment: string, run: string): string {
  return `${experiment}/${run}`; // BullMQ forbids ':' in custom ids
}

/** Exit code of queue-run-child.ts when a retry would fail the same way (bad config, NaN loss). */
export const EXIT_DETERMINISTIC = 3;
/** Exit code of queue-run-child.ts when the worker that forked it has died. */
export const EXIT_ORPHANED = 4;

export class QueueError extends Error {
  override name = 'QueueError';
}

/** Zod issues as `path: message; …`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Null when the model exists, else the error text naming it and the known ones. */
export function unknownModelError(model: string): string | null {
  const known = modelNames();
  return known.includes(model) ? null : `unknown model '${model}'; known models: ${known.join(', ')}`;
}

/** The URL without its password, for messages. */
export function displayRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(`--redis: '${displayRedisUrl(url)}' is not a URL; expected redis://host:port (e.g. redis://127.0.0.1:6379)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueError(`--redis: '${displayRedisUrl(url)}' is not a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379)`);
  }
}

/**
 * Connect to Redis for BullMQ. A first probe fails fast (one try, 3 s) so a wrong URL is a clear
 * error now instead of a silent reconnect loop; the connection returned then retries forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires), which is what carries a sweep across a
 * Redis restart: commands wait for the server to come back.
 */
export async function connectRedis(url: string, onError: (message: string) => void = () => {}): Promise<Redis> {
  checkRedisUrl(url);
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000, enableOfflineQueue: false });
  // The 'error' event carries the cause (ECONNREFUSED, ENOTFOUND…); connect() only says "closed".
  let cause: Error | null = null;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new QueueError(`cannot reach Redis at ${displayRedisUrl(url)}: ${(cause ?? (error as Error)).message || String(error)}`);
  } finally {
    probe.disconnect();
  }
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) });
  // ioredis emits 'error' on every failed reconnect; report the first of each outage only.
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) onError(`Redis at ${displayRedisUrl(url)}: ${error.message}; reconnecting`);
    down = true;
  });
  client.on('ready', () => {
    if (down) onError(`Redis at ${displayRedisUrl(url)}: reconnected`);
    down = false;
  });
  return client;
}
