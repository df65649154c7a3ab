import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isAnalysisExperiment } from '../../experiments/analysis/index.js';
import { assembleResults } from '../../experiments/plan.js';
import { trainingPlan } from '../../experiments/training-plan.js';
import { ExperimentStore } from '../../experiments/store.js';
import { storePath } from '../../experiments/store-path.js';
import { checkRedisUrlSafety } from '../../experiments/redis-url.js';
import { UserInputError } from '../../util/errors.js';
import { experimentPlan } from './experiment-plans.js';
import { formatQueueStatus } from './queue-progress.js';

interface StatusFlags {
  redis: string;
  insecure?: boolean;
  store: string;
  json?: boolean;
}

/**
 * `skiplab status SPEC --redis URL`: where a queued training sweep stands. Finished runs' results
 * are written into the local store on the way, so after a `--detach` submission this is also how
 * results arrive (and, once every run is in, the experiment's results.json); exits 1 while any
 * run has failed.
 */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('progress of a training sweep submitted with `experiment --executor bullmq --detach` (collects finished results into the store)')
    .argument('<name>', 'experiment name (its folder in the store) or spec file (.json/.yaml)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379, redis://user:password@host:6379, rediss://… for TLS')
    .option('--insecure', 'allow a Redis on another machine without a password')
    .option('--store <dir>', 'run store root', 'runs')
    .option('--json', 'print the status as JSON')
    .action(async (name: string, flags: StatusFlags) => {
      checkRedisUrlSafety(flags.redis, { insecure: flags.insecure });
      if (isAnalysisExperiment(name)) throw new UserInputError(`status follows training sweeps submitted with --detach; ${name} runs in the foreground`);
      // The submitted spec is in the store (experiment.json); a spec file works too.
      const specFile = /\.(json|ya?ml)$/.test(name);
      const folder = specFile ? null : storePath(resolve(flags.store), name);
      const store = folder && existsSync(join(folder, 'experiment.json'))
        ? ExperimentStore.open(folder)
        : new ExperimentStore(resolve(flags.store), (await experimentPlan(name, { store: flags.store, report: false, executor: 'bullmq' })).spec);
      const { queueStatus } = await import('../../experiments/queue-status.js');
      const status = await queueStatus(store, { redis: flags.redis, insecure: flags.insecure, log: (line) => void process.stderr.write(`skiplab: ${line}\n`) });
      if (flags.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else {
        process.stdout.write(`${status.experiment}: ${status.jobs.length} runs -> ${store.path}\n${formatQueueStatus(status).join('\n')}\n`);
        for (const j of status.jobs.filter((s) => s.state === 'failed')) process.stdout.write(`  ${j.job}: FAILED ${j.error}\n`);
      }
      if (status.counts.failed > 0) process.exitCode = 1;
      // Every run is in: the experiment's results.json (degradation's) can be assembled now.
      if (status.counts.done === status.jobs.length) assembleResults(trainingPlan(store.spec), join(store.path, '..'));
    });
}
