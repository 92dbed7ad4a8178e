import type { Command } from 'commander';
import { DataError } from '../errors.js';

// Placeholder until its issue lands: the command exists but refuses to run.
export function registerSamples(program: Command): Command {
  return program
    .command('samples')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new DataError('samples is not built yet');
    });
}
