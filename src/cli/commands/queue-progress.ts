import type { JobState, QueueStatus } from '../../experiments/bullmq-executor.js';

/**
 * Progress of queued jobs: one bar per state (waiting / active / done / failed) and each
 * worker's throughput. On a terminal the block is redrawn in place; otherwise a line is printed
 * whenever the counts change, so logs stay readable.
 */
const STATES: JobState[] = ['waiting', 'active', 'done', 'failed'];

function bar(count: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((count / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatQueueStatus(status: QueueStatus): string[] {
  const total = status.jobs.length;
  const lines = STATES.map((state) => `  ${state.padEnd(8)} ${bar(status.counts[state], total)} ${status.counts[state]}/${total}`);
  if (status.counts.missing > 0) lines.push(`  missing  ${status.counts.missing} job(s) not in the queue (not submitted, or Redis lost them)`);
  for (const w of status.workers) lines.push(`  worker ${w.worker}: ${w.runs} run(s) trained, ${w.imagesPerSecond.toFixed(0)} images/s`);
  for (const j of status.jobs.filter((s) => s.state === 'active')) {
    lines.push(`  ${j.job}: ${j.epoch ? `epoch ${j.epoch}/${j.epochs}` : 'running'}${j.worker ? ` on ${j.worker}` : ''}`);
  }
  return lines;
}

export class QueueProgressPrinter {
  private drawn = 0;
  private lastCounts = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(status: QueueStatus): void {
    if (this.stream.isTTY) {
      const lines = formatQueueStatus(status);
      if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}F\x1b[J`);
      this.stream.write(lines.join('\n') + '\n');
      this.drawn = lines.length;
      return;
    }
    const counts = STATES.map((s) => `${s} ${status.counts[s]}`).join(', ');
    if (counts === this.lastCounts) return;
    this.lastCounts = counts;
    this.stream.write(`  ${status.experiment}: ${counts} of ${status.jobs.length}\n`);
  }
}
