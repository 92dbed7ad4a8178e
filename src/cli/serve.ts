import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerServe(program: Command): Command {
  return program
    .command('serve')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('serve is not built yet');
    });
}
