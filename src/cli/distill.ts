import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerDistill(program: Command): Command {
  return program
    .command('distill')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('distill is not built yet');
    });
}
