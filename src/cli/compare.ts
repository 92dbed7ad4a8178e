import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerCompare(program: Command): Command {
  return program
    .command('compare')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('compare is not built yet');
    });
}
