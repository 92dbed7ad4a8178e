import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerEstimate(program: Command): Command {
  return program
    .command('estimate')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('estimate is not built yet');
    });
}
