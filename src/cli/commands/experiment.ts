import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { getBackend } from '../../backend/select.js';
import { degradationSpec } from '../../experiments/degradation.js';
import { runLocalSweep, type SweepEvent, type SweepResult } from '../../experiments/local-executor.js';
import { parseExperimentSpec, type ExperimentSpec } from '../../experiments/spec.js';
import { ExperimentStore } from '../../experiments/store.js';
import { ANALYSIS_EXPERIMENTS, isAnalysisExperiment, runAnalysisExperiment } from '../../experiments/analysis.js';
import { buildCombinedReport, buildReport } from '../../report/build.js';

interface ExperimentFlags {
  quick?: boolean;
  full?: boolean;
  depths?: string;
  dataset?: 'fashion-mnist' | 'mnist' | 'cifar10';
  dataDir?: string;
  epochs?: string;
  trainSubset?: string;
  seeds?: string;
  store: string;
  workers?: string;
  threads?: string;
  report: boolean;
  executor?: string;
  redis?: string;
  detach?: boolean;
}

const list = (v: string | undefined): number[] | undefined => v?.split(',').map((s) => Number(s.trim()));

/** A built-in experiment by name, or a spec file (JSON or YAML). */
export function resolveSpec(nameOrFile: string, flags: ExperimentFlags): ExperimentSpec {
  const mode = flags.full ? 'full' : 'quick';
  if (nameOrFile === 'degradation') {
    return degradationSpec({
      mode, depths: list(flags.depths), dataset: flags.dataset, dataDir: flags.dataDir, seeds: list(flags.seeds),
      epochs: flags.epochs ? Number(flags.epochs) : undefined, trainSubset: flags.trainSubset ? Number(flags.trainSubset) : undefined,
    });
  }
  if (/\.(json|ya?ml)$/.test(nameOrFile)) {
    const path = resolve(nameOrFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${path}: cannot read the spec (${(error as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = nameOrFile.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new Error(`${path}: not valid ${nameOrFile.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message})`);
    }
    return parseExperimentSpec(raw, path);
  }
  throw new Error(`unknown experiment '${nameOrFile}' (built in: degradation, ${ANALYSIS_EXPERIMENTS.join(', ')}, all; or give a .json/.yaml spec file)`);
}

function describeEvent(e: SweepEvent): string | null {
  switch (e.kind) {
    case 'start': return `  ${e.run}: started`;
    case 'epoch': return `  ${e.run}: epoch ${e.epoch}/${e.epochs} ${e.message ?? ''}`;
    case 'done': return `  ${e.run}: done`;
    case 'skipped': return `  ${e.run}: already complete, skipped`;
    case 'failed': return `  ${e.run}: FAILED ${e.message ?? ''}`;
  }
}

/** The sweep on BullMQ workers (loaded only here); null when detached. */
async function runOnQueue(store: ExperimentStore, flags: ExperimentFlags): Promise<SweepResult | null> {
  if (!flags.redis) throw new Error('--executor bullmq needs --redis URL (e.g. redis://127.0.0.1:6379)');
  const { runBullmqSweep } = await import('../../experiments/bullmq-executor.js');
  const { QueueProgressPrinter } = await import('./queue-progress.js');
  const printer = new QueueProgressPrinter();
  const result = await runBullmqSweep(store, {
    redis: flags.redis, detach: flags.detach, onStatus: (s) => printer.update(s),
    onEvent: (e) => void (e.kind === 'failed' && process.stderr.write(describeEvent(e) + '\n')),
    log: (line) => void process.stderr.write(`skiplab: ${line}\n`),
  });
  if (!flags.detach) return result;
  process.stderr.write(`skiplab: ${result.queued.length} run(s) queued, ${result.skipped.length} already complete; follow with \`skiplab status ${store.spec.name} --redis ${flags.redis}\`\n`);
  return null;
}

export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('run an experiment (built-in name or spec file) into the run store and build its report')
    .argument('<name>', `degradation, ${ANALYSIS_EXPERIMENTS.join(', ')}, all, or a spec file (.json/.yaml)`)
    .option('--quick', 'the few-minutes version (default)')
    .option('--full', 'the paper-scale version (CIFAR-10 when --data-dir is given)')
    .option('--depths <list>', 'comma-separated depths 6n+2, e.g. 8,20,56')
    .option('--dataset <name>', 'fashion-mnist | mnist | cifar10')
    .option('--data-dir <dir>', 'folder of the CIFAR-10 binary batches')
    .option('--epochs <n>', 'override the number of epochs')
    .option('--train-subset <n>', 'override the training-subset size')
    .option('--seeds <list>', 'comma-separated seeds (default 0)')
    .option('--store <dir>', 'run store root', 'runs')
    .option('--workers <n>', 'runs trained at once (default: one per core)')
    .option('--threads <n>', 'kernel threads per run')
    .option('--no-report', 'do not build the HTML report')
    .option('--executor <name>', 'local (a process pool, default) | bullmq (workers on a Redis queue)', 'local')
    .option('--redis <url>', 'Redis URL for --executor bullmq, e.g. redis://127.0.0.1:6379')
    .option('--detach', 'with bullmq: enqueue and return; follow with `skiplab status`')
    .action(async (name: string, flags: ExperimentFlags) => {
      const mode = flags.full ? 'full' : 'quick';
      if (name === 'all') {
        // Every experiment, then one report with a table of contents.
        const dirs: string[] = [];
        const failures: string[] = [];
        for (const each of ['degradation', ...ANALYSIS_EXPERIMENTS]) {
          try {
            dirs.push(await runNamed(each, flags));
          } catch (error) {
            failures.push(`${each}: ${(error as Error).message}`);
            process.stderr.write(`skiplab: ${each} failed: ${(error as Error).message}\n`);
          }
        }
        if (flags.report && dirs.length > 0) process.stdout.write(`${await buildCombinedReport(dirs, join(resolve(flags.store), `report-${mode}.html`))}\n`);
        if (failures.length > 0) throw new Error(`${failures.length} experiment(s) failed: ${failures.join('; ')}`);
        return;
      }
      const dir = await runNamed(name, flags);
      if (flags.report && dir) process.stdout.write(`${await buildReport(dir)}\n`);
    });
}

/** Run one experiment (built-in, analysis or spec file) into the store; returns its folder ('' when detached). */
async function runNamed(name: string, flags: ExperimentFlags): Promise<string> {
  const started = performance.now();
  if (isAnalysisExperiment(name)) {
    process.stderr.write(`skiplab: ${name} (${flags.full ? 'full' : 'quick'}) on the ${getBackend().describe()} backend\n`);
    const dir = await runAnalysisExperiment(name, {
      mode: flags.full ? 'full' : 'quick', store: flags.store, dataset: flags.dataset, dataDir: flags.dataDir,
      seed: list(flags.seeds)?.[0], onProgress: (m) => void process.stderr.write(`  ${m}\n`),
    });
    process.stderr.write(`skiplab: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    return dir;
  }
  const spec = resolveSpec(name, flags);
  const store = new ExperimentStore(resolve(flags.store), spec);
  process.stderr.write(`skiplab: ${spec.name}: ${store.runs().length} runs on the ${getBackend().describe()} backend -> ${store.path}\n`);
  if (flags.executor !== 'local' && flags.executor !== 'bullmq') throw new Error(`--executor: unknown executor '${flags.executor}' (local or bullmq)`);
  const result = flags.executor === 'bullmq' ? await runOnQueue(store, flags) : await runLocalSweep(store, {
    workers: flags.workers ? Number(flags.workers) : undefined,
    threads: flags.threads ? Number(flags.threads) : undefined,
    onEvent: (e) => {
      const line = describeEvent(e);
      if (line) process.stderr.write(line + '\n');
    },
  });
  if (!result) return ''; // detached
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`skiplab: ${result.completed.length} trained, ${result.skipped.length} already complete, ${result.failed.length} failed in ${seconds.toFixed(0)} s\n`);
  if (result.failed.length > 0) {
    throw new Error(`${result.failed.length} run(s) failed: ${result.failed.map((f) => `${f.run} (${f.error})`).join('; ')}`);
  }
  return store.path;
}

