import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerText(program: Command): Command {
  return program
    .command('text')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('text is not built yet');
    });
}
