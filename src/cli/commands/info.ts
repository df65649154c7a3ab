import type { Command } from 'commander';
import { availableBackends, getBackend } from '../../backend/select.js';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('show the backend, instruction set and threads in use')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const backend = getBackend();
      const info = { backend: backend.name, description: backend.describe(), available: availableBackends(), node: process.version };
      if (flags.json) process.stdout.write(JSON.stringify(info) + '\n');
      else process.stdout.write(`backend: ${info.description}\navailable: ${info.available.join(', ')}\nnode: ${info.node}\n`);
    });
}
