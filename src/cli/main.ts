// The `nsm` command line: one commander program; each subcommand lives in its own module and registers itself here.

import { Command, CommanderError } from 'commander';
import { UserError } from '../core/user-error';
import { registerAgentCommand } from './agent-command';
import { registerCheckCommand } from './check-command';
import { registerSensorCommand } from './sensor-command';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('nsm')
    .description('Network security monitoring: a Zeek-format sensor and a log-shipping agent for ELSA')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  registerAgentCommand(program);
  registerCheckCommand(program);
  registerSensorCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`nsm: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
