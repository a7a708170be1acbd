// The `nsm` command line: one commander program; each subcommand lives in its own module and registers itself here.

import { Command, CommanderError } from 'commander';
import { UserError } from '../core/user-error';

/**
 * The subcommands, each loaded only when needed: `nsm agent` is a long-running daemon whose resident memory is
 * budgeted (`npm run bench`), and the sensor's modules cost it about 2 MB for nothing.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: ReadonlyArray<{ name: string; register: (program: Command, version: string) => void }> = [
  { name: 'agent', register: (p) => (require('./agent-command') as typeof import('./agent-command')).registerAgentCommand(p) },
  { name: 'check', register: (p, v) => (require('./check-command') as typeof import('./check-command')).registerCheckCommand(p, v) },
  { name: 'ctl', register: (p, v) => (require('./ctl-command') as typeof import('./ctl-command')).registerCtlCommand(p, v) },
  { name: 'sensor', register: (p) => (require('./sensor-command') as typeof import('./sensor-command')).registerSensorCommand(p) },
];
/* eslint-enable @typescript-eslint/no-require-imports */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

/**
 * The program with every subcommand, or, when `argv` names one (`nsm agent ...`), with that one alone: it parses
 * and helps exactly as it would among the others.
 */
export function buildProgram(argv?: readonly string[]): Command {
  const named = argv?.[2];
  const only = COMMANDS.find((c) => c.name === named);
  const program = new Command('nsm')
    .description('Network security monitoring: a Zeek-format sensor and a log-shipping agent for ELSA')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  for (const command of only ? [only] : COMMANDS) command.register(program, pkg.version);
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
  const program = buildProgram(argv);
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
