// `nsm ctl` with no command: broctl's interactive shell. Reads commands line by line from a stream (a terminal or
// a pipe), writes the prompt before each, stops at `exit`, `quit` or the end of input. Like broctl's shell, whose
// status is that of its last command (and `exit`, `quit` and end of input succeed), it then exits 0.

import * as readline from 'readline';
import { CtlSession, runCtlCommand } from './ctl-commands';

export const PROMPT = '[NsmControl] > ';

export async function runCtlPrompt(input: NodeJS.ReadableStream, write: (text: string) => void, s: CtlSession, version: string): Promise<true> {
  write(`\nWelcome to nsm ctl ${version}\n\nType "help" for help.\n\n`);
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  write(PROMPT);
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'exit' || cmd === 'quit') {
      rl.close();
      return true;
    }
    if (cmd !== '') await runCtlCommand(cmd, s);
    write(PROMPT);
  }
  write('\n');
  return true;
}
