import type * as BullMQ from 'bullmq';
import type { Job as BullJob, JobJsonRaw, MinimalQueue } from 'bullmq';

/**
 * BullMQ's Queue and Worker, reading jobs whose stored fields are not JSON. BullMQ parses a job's
 * `data` (and `progress`) with JSON.parse as it takes the job; text written straight into Redis
 * made that throw inside the worker's fetch loop, so the job was neither run nor failed — it
 * vanished from every list, or cycled active → stalled for ever. Here such a job is read with its
 * unreadable data replaced by a note of why, and the processor fails it with that reason
 * (`unreadableJobData`), as it does any malformed payload. `bullmq` loads by dynamic import, so
 * the classes are made on first use.
 */
const UNREADABLE = 'skiplab:unreadable-data';

/** Why a job's stored data could not be read, or null when it was read. */
export function unreadableJobData(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || !(UNREADABLE in data)) return null;
  return String((data as Record<string, unknown>)[UNREADABLE]);
}

type BullModule = typeof BullMQ;
interface QueueClasses {
  Queue: BullModule['Queue'];
  Worker: BullModule['Worker'];
  UnrecoverableError: BullModule['UnrecoverableError'];
}
let classes: Promise<QueueClasses> | null = null;

export function queueClasses(): Promise<QueueClasses> {
  classes ??= makeClasses();
  return classes;
}

async function makeClasses(): Promise<QueueClasses> {
  const bullmq = await import('bullmq');
  class ReadableJob extends bullmq.Job {
    static override fromJSON<T = unknown, R = unknown, N extends string = string>(queue: MinimalQueue, json: JobJsonRaw, jobId?: string): BullJob<T, R, N> {
      try {
        return super.fromJSON(queue, json, jobId) as BullJob<T, R, N>;
      } catch (error) {
        const job = super.fromJSON(queue, { ...json, data: '{}', progress: '0' }, jobId) as BullJob<T, R, N>;
        job.data = { [UNREADABLE]: `its data in Redis is not JSON (${(error as Error).message}): ${String(json.data).slice(0, 80)}` } as T;
        return job;
      }
    }
  }
  class Queue extends bullmq.Queue {
    protected override get Job(): typeof bullmq.Job {
      return ReadableJob as typeof bullmq.Job;
    }
  }
  class Worker extends bullmq.Worker {
    protected override get Job(): typeof bullmq.Job {
      return ReadableJob as typeof bullmq.Job;
    }
  }
  // Generic in their job types as BullMQ's own classes are; the subclasses change only how jobs are read.
  return { Queue: Queue as unknown as BullModule['Queue'], Worker: Worker as unknown as BullModule['Worker'], UnrecoverableError: bullmq.UnrecoverableError };
}
