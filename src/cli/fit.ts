import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerFit(program: Command): Command {
  return program
    .command('fit')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('fit is not built yet');
    });
}
