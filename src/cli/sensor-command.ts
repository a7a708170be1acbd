// `nsm sensor`: not built yet; its issue's work replaces this file.

import { Command } from 'commander';
import { UserError } from '../core/user-error';

export function registerSensorCommand(program: Command): void {
  program
    .command('sensor')
    .description('(not yet available)')
    .action(() => {
      throw new UserError('nsm sensor: not yet implemented');
    });
}
