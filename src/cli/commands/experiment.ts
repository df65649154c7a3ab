import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { getBackend } from '../../backend/select.js';
import { ANALYSIS_EXPERIMENTS, FIXED_DATASET_EXPERIMENTS, GIVEN_WEIGHTS_EXPERIMENTS, STANDARD_EXPERIMENTS } from '../../experiments/analysis/index.js';
import type { Executor } from '../../experiments/executor.js';
import type { JobEvent } from '../../experiments/jobs.js';
import { localExecutor } from '../../experiments/local-executor.js';
import { checkRedisUrlSafety } from '../../experiments/redis-url.js';
import { runExperiments, type ExperimentPlan } from '../../experiments/plan.js';
import { buildCombinedReport, buildReport } from '../../report/build.js';
import { UserInputError } from '../../util/errors.js';
import { experimentPlan, positiveInteger, tierOf, type ExperimentFlags } from './experiment-plans.js';

/** Some of an experiment's jobs failed: an outcome to report, not a bug (printed without a stack). */
export class ExperimentFailedError extends Error {
  override name = 'ExperimentFailedError';
}

function describeEvent(e: JobEvent): string | null {
  switch (e.kind) {
    case 'start': return `  ${e.job}: started${e.worker ? ` on ${e.worker}` : ''}`;
    case 'epoch': return `  ${e.job}: epoch ${e.epoch}/${e.epochs} ${e.message ?? ''}`;
    case 'done': return `  ${e.job}: done`;
    case 'skipped': return `  ${e.job}: already complete, skipped`;
    case 'failed': return `  ${e.job}: FAILED ${e.message ?? ''}`;
  }
}

/** The executor the flags ask for; flags that belong to the other one are refused. */
async function executorOf(flags: ExperimentFlags): Promise<Executor> {
  if (flags.executor === 'local') {
    if (flags.redis !== undefined) throw new UserInputError('--redis is for --executor bullmq');
    if (flags.insecure) throw new UserInputError('--insecure is for --executor bullmq');
    if (flags.detach) throw new UserInputError('--detach is for --executor bullmq (a local run always waits for its jobs)');
    return localExecutor({
      workers: flags.workers ? positiveInteger('--workers', flags.workers) : undefined,
      threads: flags.threads ? positiveInteger('--threads', flags.threads) : undefined,
    });
  }
  if (flags.executor !== 'bullmq') throw new UserInputError(`--executor: unknown executor '${flags.executor}' (local or bullmq)`);
  if (!flags.redis) throw new UserInputError('--executor bullmq needs --redis URL (e.g. redis://127.0.0.1:6379)');
  // Checked before anything is written or trained; the executor checks it again where it connects.
  checkRedisUrlSafety(flags.redis, { insecure: flags.insecure });
  if (flags.workers !== undefined) throw new UserInputError('--workers is for --executor local; with bullmq, start as many `skiplab worker --redis URL` as you want jobs at once');
  if (flags.threads !== undefined) throw new UserInputError('--threads is for --executor local; with bullmq, each worker sets it (`skiplab worker --threads N`)');
  const { bullmqExecutor } = await import('../../experiments/bullmq-executor.js');
  const { QueueProgressPrinter } = await import('./queue-progress.js');
  const printer = new QueueProgressPrinter();
  return bullmqExecutor({ redis: flags.redis, insecure: flags.insecure, detach: flags.detach, onStatus: (s) => printer.update(s), log: (line) => void process.stderr.write(`skiplab: ${line}\n`) });
}

/**
 * The experiments `name` stands for, with the flags each receives. `all --standard` stands for
 * the experiments that have a standard tier, and says which it leaves out.
 */
export async function plansOf(name: string, flags: ExperimentFlags): Promise<ExperimentPlan[]> {
  if (name !== 'all') return [await experimentPlan(name, flags)];
  // Every experiment, each with the flags it can honour: --depths is degradation's, and an
  // experiment with fixed data keeps it.
  if (flags.weights !== undefined) throw new UserInputError(`--weights does not apply to all: it works with ${GIVEN_WEIGHTS_EXPERIMENTS.join(', ')} one at a time`);
  if (flags.precision !== undefined) throw new UserInputError('--precision does not apply to all: it works with degradation and spec files one at a time');
  if (flags.detach) throw new UserInputError('--detach does not apply to all: the analysis experiments measure when their training ends, so they run in the foreground');
  let names = ['degradation', ...ANALYSIS_EXPERIMENTS];
  if (flags.standard) {
    names = ['degradation', ...STANDARD_EXPERIMENTS];
    process.stderr.write(`skiplab: all --standard runs ${names.join(', ')} (the experiments with a standard tier)\n`);
  }
  return Promise.all(names.map((each) => {
    const fixed = FIXED_DATASET_EXPERIMENTS[each as keyof typeof FIXED_DATASET_EXPERIMENTS];
    if (fixed && (flags.dataset || flags.dataDir)) process.stderr.write(`skiplab: ${each} keeps its own data (${fixed})\n`);
    return experimentPlan(each, { ...flags, depths: each === 'degradation' ? flags.depths : undefined, ...(fixed ? { dataset: undefined, dataDir: undefined } : {}) });
  }));
}

export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('run an experiment (built-in name or spec file): its training runs and measurements as jobs on an executor, into the run store, then its report')
    .argument('<name>', `degradation, ${ANALYSIS_EXPERIMENTS.join(', ')}, all, or a spec file (.json/.yaml)`)
    .option('--quick', 'the few-minutes version (default)')
    .option('--standard', `degradation, ${STANDARD_EXPERIMENTS.join(', ')}: the hour-long tier on the full official training set, with learning-rate drops, 3 seeds (degradation: depths 20 and 56; ${STANDARD_EXPERIMENTS.join(' and ')}: one trained ResNet-56 and its plain twin per seed, shared)`)
    .option('--full', 'the paper-scale version (CIFAR-10 when --data-dir is given)')
    .option('--depths <list>', 'degradation: comma-separated depths 6n+2, e.g. 8,20,56')
    .option('--dataset <name>', 'fashion-mnist | mnist | cifar10 | folder')
    .option('--data-dir <dir>', "the dataset's folder: the (Fashion-)MNIST idx files, the CIFAR-10 binary batches, or class folders of images")
    .option('--epochs <n>', 'override the number of epochs of every training run')
    .option('--train-subset <n>', 'override the training-subset size')
    .option('--seeds <list>', 'comma-separated seeds; every seed trains and measures on its own (default: --quick 0,1; --standard 0,1,2; analysis --full and --weights 0, degradation --full 0,1,2)')
    .option('--precision <p>', 'fp32 (default) | bf16: convolutions and matrix products on bfloat16 operands with FP32 sums and master weights')
    .option('--store <dir>', 'run store root', 'runs')
    .option('--workers <n>', 'local: jobs run at once (default: one per core)')
    .option('--threads <n>', 'local: kernel threads per job')
    .option('--no-report', 'do not build the HTML report')
    .option('--executor <name>', 'local (a process pool, default) | bullmq (workers on a Redis queue)', 'local')
    .option('--redis <url>', 'Redis URL for --executor bullmq, e.g. redis://127.0.0.1:6379, redis://user:password@host:6379, rediss://… for TLS')
    .option('--insecure', 'with bullmq: allow a Redis on another machine without a password (anyone who reaches it can queue jobs)')
    .option('--detach', 'with bullmq, for training sweeps: enqueue and return; follow with `skiplab status`')
    .option('--weights <file>', `${GIVEN_WEIGHTS_EXPERIMENTS.join(', ')}: analyse these weights (run folder, checkpoint, or safetensors state dict) without training`)
    .option('--model <name>', 'with --weights: the registry model the state dict is for (see `skiplab models`)')
    .option('--model-options <json>', 'with --weights --model: its options, as JSON')
    .action(async (name: string, flags: ExperimentFlags) => {
      const plans = await plansOf(name, flags);
      const executor = await executorOf(flags);
      const root = resolve(flags.store);
      const runs = plans.reduce((n, p) => n + p.training.length, 0);
      process.stderr.write(`skiplab: ${plans.map((p) => p.spec.name).join(', ')} on the ${getBackend().describe()} backend, ${executor.name} executor -> ${root}${runs === 0 ? ' (no training)' : ''}\n`);
      const started = performance.now();
      const outcomes = await runExperiments(plans, executor, root, {
        onEvent: (e) => {
          // The queue printer shows bullmq's progress; its failures are printed here too.
          if (executor.name === 'bullmq' && e.kind !== 'failed') return;
          const line = describeEvent(e);
          if (line) process.stderr.write(line + '\n');
        },
      });
      if (outcomes.some((o) => o.queued)) {
        process.stderr.write(`skiplab: jobs queued; follow with \`skiplab status ${plans[0]!.spec.name} --redis ${flags.redis}\`\n`);
        return;
      }
      process.stderr.write(`skiplab: done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      const failed = outcomes.filter((o) => o.error);
      const finished = outcomes.filter((o) => !o.error).map((o) => o.dir);
      for (const o of failed) process.stderr.write(`skiplab: ${o.plan.spec.name} failed: ${o.error}\n`);
      if (flags.report && finished.length > 0) {
        const report = name === 'all' ? await buildCombinedReport(finished, join(root, `report-${tierOf(flags)}.html`)) : await buildReport(finished[0]!);
        process.stdout.write(`${report}\n`);
      }
      if (failed.length > 0) throw new ExperimentFailedError(`${failed.length} experiment(s) failed: ${failed.map((o) => `${o.plan.spec.name}: ${o.error}`).join('; ')}`);
    });
}
