#!/usr/bin/env node
import { Command } from 'commander';
import { registerExperimentCommand } from './commands/experiment.js';
import { registerExportCommand } from './commands/export.js';
import { registerInfoCommand } from './commands/info.js';
import { registerReportCommand } from './commands/report.js';
import { registerModelsCommand } from './commands/models.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTrainCommand } from './commands/train.js';
import { registerWorkerCommand } from './commands/worker.js';
import { packageVersion } from './version.js';
import { ExperimentFailedError } from './commands/experiment.js';
import { UserInputError } from '../util/errors.js';

/**
 * The `skiplab` command line. Errors exit 1: a user's mistake (a `UserInputError`: a bad flag,
 * file, field or URL) or jobs that failed print one line; anything else is a bug and prints its
 * stack too.
 */
const program = new Command();
program.name('skiplab').description('skip connections, built, trained and explained').version(packageVersion()).showHelpAfterError();
registerTrainCommand(program);
registerExperimentCommand(program);
registerReportCommand(program);
registerInfoCommand(program);
registerExportCommand(program);
registerModelsCommand(program);
registerWorkerCommand(program);
registerStatusCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const e = error as Error;
  process.stderr.write(`skiplab: ${e.message}\n`);
  const expected = error instanceof UserInputError || error instanceof ExperimentFailedError || (error as { code?: string }).code?.startsWith('commander.');
  if (!expected || process.env.SKIPLAB_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
