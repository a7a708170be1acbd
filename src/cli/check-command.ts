// `nsm check`: not built yet; its issue's work replaces this file.

import { Command } from 'commander';
import { UserError } from '../core/user-error';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('(not yet available)')
    .action(() => {
      throw new UserError('nsm check: not yet implemented');
    });
}
