import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerBench(program: Command): Command {
  return program
    .command('bench')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('bench is not built yet');
    });
}
