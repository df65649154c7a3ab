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

/** The `skiplab` command line. Errors print one clear line and exit 1 (no stack for user errors). */
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
  if (process.env.SKIPLAB_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
