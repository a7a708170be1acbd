// The `nsm` command line: one commander program; each subcommand lives in its own module and registers itself here.

import { Command, CommanderError } from 'commander';
import { UserError } from '../core/user-error';
import { registerAgentCommand } from './agent-command';
import { registerCheckCommand } from './check-command';
import { registerCtlCommand } from './ctl-command';
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
  registerCheckCommand(program, pkg.version);
  registerCtlCommand(program, pkg.version);
  registerSensorCommand(program);
  return program;
}

/** EPIPE: the reader of our output went away (`nsm agent --help | head -1`); ERR_STREAM_DESTROYED: a write after that. */
function isBrokenPipe(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED';
}

/**
 * Every command: a closed stdout ends the process quietly (exit 0, as `head` expects of its writer), not with an
 * unhandled 'error' stack trace. A closed stderr is ignored: a running agent keeps shipping when whoever read its
 * log is gone (it has nowhere to report, and stopping would help nobody).
 */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (!isBrokenPipe(err)) throw err;
    process.exit(0);
  });
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (!isBrokenPipe(err)) throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnBrokenPipe();
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
