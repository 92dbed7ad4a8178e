import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerMerge(program: Command): Command {
  return program
    .command('merge')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('merge is not built yet');
    });
}
