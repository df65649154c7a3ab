import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { maskedCrc32c } from './crc32c.js';

/**
 * The parts of TensorFlow's event.proto and summary.proto that scalar and histogram logs use,
 * with their field numbers (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto).
 * TensorBoard still reads `simple_value` and `histo` summaries and converts them itself.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simpleValue', 'histo'] } },
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                histo: { type: 'HistogramProto', id: 5 },
              },
            },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sumSquares: { type: 'double', id: 5 },
            bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
            bucket: { rule: 'repeated', type: 'double', id: 7, options: { packed: true } },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorboard.Event');

/** A histogram as TensorBoard stores it: bucket i counts values in (bucketLimit[i−1], bucketLimit[i]]. */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

/**
 * One record of a TensorBoard event file: wall time (seconds since 1970), step, and scalars or histograms under their tags.
 */
export interface TensorBoardEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: { tag: string; simpleValue?: number; histo?: Histogram }[] };
}

/** A histogram of `values` over `buckets` equal-width buckets between their min and max. */
export function histogramOf(values: ArrayLike<number>, buckets = 30): Histogram {
  if (values.length === 0) throw new Error('histogramOf: no values');
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`histogramOf: value ${i} is ${v}`);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sumSquares += v * v;
  }
  const width = (max - min) / buckets || 1;
  const bucketLimit = Array.from({ length: buckets }, (_, i) => (i === buckets - 1 ? max : min + (i + 1) * width));
  const bucket = new Array<number>(buckets).fill(0);
  for (let i = 0; i < values.length; i++) bucket[Math.min(buckets - 1, Math.max(0, Math.ceil((values[i]! - min) / width) - 1))]!++;
  return { min, max, num: values.length, sum, sumSquares, bucketLimit, bucket };
}

/** Frame one record as TFRecord does: length (u64 LE), masked CRC of the length, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Appends events to one `events.out.tfevents.<time>.<host>.<pid>.<n>` file in `dir`, as
 * TensorBoard's own writers do. It is an append-only log (like metrics.jsonl), not an atomic
 * write: each record is framed and checksummed, so a reader stops cleanly at a torn tail.
 */
export class EventFileWriter {
  private static counter = 0;
  readonly path: string;
  private fd: number | null;

  constructor(readonly dir: string, options: { wallTime?: number } = {}) {
    mkdirSync(dir, { recursive: true });
    const wallTime = options.wallTime ?? Date.now() / 1000;
    this.path = join(dir, `events.out.tfevents.${Math.floor(wallTime)}.${hostname()}.${process.pid}.${EventFileWriter.counter++}`);
    this.fd = openSync(this.path, 'a');
    this.write({ wallTime, step: 0, fileVersion: 'brain.Event:2' });
  }

  /** Log a scalar `value` under `tag` at `step`. */
  addScalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.write({ wallTime, step, summary: { value: [{ tag, simpleValue: value }] } });
  }

  /** Log a histogram (from `histogramOf`, or any buckets) under `tag` at `step`. */
  addHistogram(tag: string, histogram: Histogram, step: number, wallTime = Date.now() / 1000): void {
    this.write({ wallTime, step, summary: { value: [{ tag, histo: histogram }] } });
  }

  /** Append one event and flush it to disk (TensorBoard reads the file while it grows). */
  write(event: TensorBoardEvent): void {
    if (this.fd === null) throw new Error(`EventFileWriter: ${this.path} is closed`);
    const problem = EventType.verify(event);
    if (problem) throw new Error(`EventFileWriter: bad event for ${this.path}: ${problem}`);
    writeSync(this.fd, frameRecord(EventType.encode(EventType.fromObject(event)).finish()));
  }

  /** Push written records to disk. */
  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  /** Flush and close the file; later writes throw. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Split an event file into its records, checking each length and both masked CRCs. */
export function readRecords(bytes: Uint8Array, source = 'event file'): Uint8Array[] {
  const records: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new Error(`${source}: truncated record header at byte ${offset}`);
    const length = Number(view.getBigUint64(offset, true));
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) throw new Error(`${source}: length CRC mismatch at byte ${offset}`);
    const start = offset + 12;
    if (start + length + 4 > bytes.length) throw new Error(`${source}: record at byte ${offset} claims ${length} bytes but the file ends`);
    const data = bytes.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== maskedCrc32c(data)) throw new Error(`${source}: data CRC mismatch in the record at byte ${offset}`);
    records.push(data);
    offset = start + length + 4;
  }
  return records;
}

/** Decode every event of an event file (lengths and CRCs checked). */
export function readEventFile(path: string): TensorBoardEvent[] {
  return readRecords(readFileSync(path), path).map((data) => {
    const message = EventType.decode(data);
    return EventType.toObject(message, { longs: Number, defaults: false }) as TensorBoardEvent;
  });
}
