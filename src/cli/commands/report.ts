import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildReport } from '../../report/build.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('(re)build the self-contained HTML report of an experiment or run folder from the run store')
    .argument('<dir>', 'an experiment folder (runs/degradation-quick) or a run folder')
    .action(async (dir: string) => {
      process.stdout.write(`${await buildReport(resolve(dir))}\n`);
    });
}
