// `nsm agent`: not built yet; its issue's work replaces this file.

import { Command } from 'commander';
import { UserError } from '../core/user-error';

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('(not yet available)')
    .action(() => {
      throw new UserError('nsm agent: not yet implemented');
    });
}
