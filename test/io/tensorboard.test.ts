import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../src/io/crc32c.js';
import { EventFileWriter, histogramOf, readEventFile, readRecords } from '../../src/io/tensorboard.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-tb-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('TensorBoard event files', () => {
  it('frames every record with its length and masked CRCs, readable record by record', () => {
    const dir = scratch();
    const writer = new EventFileWriter(dir, { wallTime: 1700000000.5 });
    writer.addScalar('loss/train', 0.75, 3, 1700000001);
    writer.addHistogram('gradients/layer_norms', histogramOf([0.5, 1, 1.5, 4], 3), 3, 1700000002);
    writer.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.1700000000\./);
    const bytes = new Uint8Array(readFileSync(join(dir, files[0]!)));

    // Walk the framing by hand: u64 length, masked CRC of those 8 bytes, data, masked CRC of data.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    const lengths: number[] = [];
    while (offset < bytes.length) {
      const length = Number(view.getBigUint64(offset, true));
      expect(view.getUint32(offset + 8, true)).toBe(maskedCrc32c(bytes.subarray(offset, offset + 8)));
      expect(view.getUint32(offset + 12 + length, true)).toBe(maskedCrc32c(bytes.subarray(offset + 12, offset + 12 + length)));
      lengths.push(length);
      offset += 12 + length + 4;
    }
    expect(offset).toBe(bytes.length);
    expect(readRecords(bytes).map((r) => r.length)).toEqual(lengths);

    // The scalar event on the wire: wall_time is field 1 (fixed64, tag 0x09), step field 2 (varint,
    // tag 0x10), summary field 5 (tag 0x2a) holding Value with tag (0x0a) and simple_value (field 2, float, 0x15).
    const scalar = readRecords(bytes)[1]!;
    expect(scalar[0]).toBe(0x09);
    expect(new DataView(scalar.buffer, scalar.byteOffset + 1, 8).getFloat64(0, true)).toBe(1700000001);
    expect([scalar[9], scalar[10]]).toEqual([0x10, 3]);
    expect(scalar[11]).toBe(0x2a);
    const tail = scalar.subarray(scalar.length - 5);
    expect(tail[0]).toBe(0x15);
    expect(new DataView(tail.buffer, tail.byteOffset + 1, 4).getFloat32(0, true)).toBe(0.75);

    const events = readEventFile(join(dir, files[0]!));
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[0]!.wallTime).toBe(1700000000.5);
    expect(events[1]!.step).toBe(3);
    expect(events[1]!.summary!.value[0]).toEqual({ tag: 'loss/train', simpleValue: 0.75 });
    const histo = events[2]!.summary!.value[0]!.histo!;
    expect(events[2]!.summary!.value[0]!.tag).toBe('gradients/layer_norms');
    expect(histo.min).toBe(0.5);
    expect(histo.max).toBe(4);
    expect(histo.num).toBe(4);
    expect(histo.sum).toBe(7);
    expect(histo.sumSquares).toBeCloseTo(0.25 + 1 + 2.25 + 16);
    expect(histo.bucketLimit).toEqual([0.5 + 3.5 / 3, 0.5 + 7 / 3, 4]);
    expect(histo.bucket).toEqual([3, 0, 1]);
  });

  it('detects a flipped byte and a torn tail, naming the file and offset', () => {
    const dir = scratch();
    const writer = new EventFileWriter(dir);
    writer.addScalar('lr', 0.1, 1);
    writer.close();
    const bytes = new Uint8Array(readFileSync(writer.path));
    const flipped = bytes.slice();
    flipped[flipped.length - 6]! ^= 0x01;
    expect(() => readRecords(flipped, 'f')).toThrow(/f: data CRC mismatch in the record at byte \d+/);
    const badLength = bytes.slice();
    badLength[0]! ^= 0x01;
    expect(() => readRecords(badLength, 'f')).toThrow(/length CRC mismatch at byte 0/);
    const torn = join(dir, 'torn');
    writeFileSync(torn, bytes.subarray(0, bytes.length - 3));
    expect(() => readEventFile(torn)).toThrow(/torn: record at byte \d+ claims \d+ bytes but the file ends/);
  });

  it('histogramOf puts every value in one bucket and rejects non-finite values', () => {
    const values = Array.from({ length: 101 }, (_, i) => Math.sin(i));
    const h = histogramOf(values, 7);
    expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(101);
    expect(h.bucketLimit[6]).toBe(h.max);
    expect(histogramOf([2, 2, 2], 4).bucket.reduce((a, b) => a + b, 0)).toBe(3);
    expect(() => histogramOf([1, NaN])).toThrow(/value 1 is NaN/);
  });
});
