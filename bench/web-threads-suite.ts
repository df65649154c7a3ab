/**
 * The `web` section of `npm run bench`: training steps per second of browser-lab models in
 * headless Chromium with the wasm backend on 1 thread and on every core (the page served
 * cross-origin isolated, as `npm run web` serves it). Timed by the lab's own speed test (the
 * worker's 'speed' message, what the page's "Measure speed" button runs): the thread counts
 * alternate over several rounds, so a slow spell of a shared machine weighs on both.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.js';
import { serveDirectory } from '../scripts/serve-web.js';
import type { ParallelReading } from '../src/backend/wasm/pool-statistics.js';
import type { SpeedResult } from '../web/src/protocol.js';
import { defaultSettings, type LabSettings } from '../web/src/settings.js';

export interface WebThreadsRow {
  id: string;
  label: string;
  threads: number[];
  /** Steps per second from the median step, per thread count. */
  median: number[];
  /** Steps per second from the fastest step (the least disturbed by other work on the machine). */
  best: number[];
  /** All threads over 1 thread, from the median steps and from the fastest. */
  speedup: number;
  bestSpeedup: number;
  /** A 384² matrix product alone, all threads over 1 thread (median times, same rounds): the machine's reference. */
  matrixSpeedup: number;
  /** The thread pool's load-robust readings on all threads (src/backend/wasm/threads.ts, parallelReading). */
  parallel: ParallelReading | null;
  /** The machine's 1-minute load average when the row was done. */
  load: number;
  browser: string;
}

interface Case { id: string; label: string; settings: LabSettings }

function cases(): Case[] {
  const resnet = (depth: number, width: number, batchSize: number): LabSettings => ({ ...defaultSettings('resnet'), depth, width, batchSize });
  return [
    { id: 'web-resnet8-w8-b32', label: 'ResNet-8, width 8, batch 32', settings: resnet(8, 8, 32) },
    { id: 'web-resnet20-w8-b32', label: 'ResNet-20, width 8, batch 32', settings: resnet(20, 8, 32) },
    { id: 'web-densenet22-k4-b32', label: 'DenseNet-22, k 4, batch 32 (feature-reuse preset)', settings: { ...defaultSettings('densenet'), depth: 22, width: 4 } },
  ];
}

export async function runWebThreadsSection(options: { rounds: number; seconds: number }, log: (line: string) => void): Promise<WebThreadsRow[]> {
  const root = resolve(fileURLToPath(import.meta.url), '../..');
  const outDir = await buildWeb({ outDir: resolve(root, 'dist/web'), reuseData: true });
  const { server, url } = await serveDirectory(outDir);
  const browser = await playwright.launch({
    executablePath: await chromium.executablePath(), headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const rows: WebThreadsRow[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?arch=resnet&depth=8&width=4&twin=0`);
    await page.waitForFunction(() => (window as unknown as { skiplabLab?: { isolation: { isolated: boolean } | null } }).skiplabLab?.isolation?.isolated === true, null, { timeout: 60_000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (cores < 2) throw new Error(`web bench: Chromium reports ${cores} core(s); nothing to compare`);
    for (const c of cases()) {
      const result = await page.evaluate(([settings, threads, rounds, seconds]) => new Promise<SpeedResult>((done, fail) => {
        const worker = new Worker('worker.js', { type: 'module' });
        worker.onmessage = (event) => {
          if (event.data.type === 'speed') done(event.data.result);
          else if (event.data.type === 'error') fail(new Error(event.data.message));
          if (event.data.type === 'speed' || event.data.type === 'error') worker.terminate();
        };
        worker.postMessage({ type: 'speed', settings, threads, rounds, seconds, urls: { data: `data/${(settings as LabSettings).dataset}.bin`, kernels: 'kernels.wasm', threadedKernels: 'kernels-threads.wasm' } });
      }), [c.settings, [1, cores], options.rounds, options.seconds] as const);
      const row: WebThreadsRow = {
        id: c.id, label: c.label, threads: result.threads, median: result.median, best: result.best,
        speedup: result.median[1]! / result.median[0]!, bestSpeedup: result.best[1]! / result.best[0]!,
        matrixSpeedup: result.matrixGflops[1]! / result.matrixGflops[0]!,
        parallel: result.parallel[1] ?? null, load: loadavg()[0]!, browser: `Chromium ${browser.version()}`,
      };
      rows.push(row);
      log(`  ${c.id}: median step ${row.median.map((v, i) => `${v.toFixed(2)} steps/s × ${row.threads[i]}`).join(', ')} (×${row.speedup.toFixed(2)}); fastest step ×${row.bestSpeedup.toFixed(2)}; matrix product ×${row.matrixSpeedup.toFixed(2)}` +
        (row.parallel ? `; serial fraction ${row.parallel.serialFraction.toFixed(3)} (bound ×${row.parallel.amdahlBound.toFixed(2)}), workers ran ${(100 * row.parallel.workerTaskShare).toFixed(0)} % of tasks` : '') +
        `; load ${row.load.toFixed(1)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return rows;
}

export function printWebThreadsTable(rows: WebThreadsRow[], printColumns: (header: string[], lines: string[][], rightFrom: number) => void, rounds: number): void {
  console.log('');
  printColumns(['web', 'row', 'threads', 'steps/s 1 thread', 'steps/s all', 'all/1', 'fastest 1', 'fastest all', 'fastest all/1', 'matrix all/1', 'serial f', 'bound', 'worker tasks', 'load'], rows.map((r) => [
    'web', r.label, String(r.threads[1]), r.median[0]!.toFixed(2), r.median[1]!.toFixed(2), r.speedup.toFixed(2),
    r.best[0]!.toFixed(2), r.best[1]!.toFixed(2), r.bestSpeedup.toFixed(2), r.matrixSpeedup.toFixed(2),
    r.parallel ? r.parallel.serialFraction.toFixed(3) : '–', r.parallel ? `×${r.parallel.amdahlBound.toFixed(2)}` : '–',
    r.parallel ? `${(100 * r.parallel.workerTaskShare).toFixed(0)} %` : '–', r.load.toFixed(1),
  ]), 2);
  console.log(`${rows[0]?.browser ?? 'Chromium'}, wasm backend in the lab's worker, page cross-origin isolated; steps/s from the median and the fastest step of ${rounds} alternating rounds per thread count; whole training steps (forward, loss, backward, Adam) on the lab's data; ` +
    "serial f: the share of the threaded run's work outside parallel kernels, bound: Amdahl's 1/(f + (1 − f)/T), worker tasks: the share the other threads ran (ratios a busy host disturbs far less than steps/s); load: 1-minute load average");
}
