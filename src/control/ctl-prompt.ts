// `nsm ctl` with no command: broctl's interactive shell. Reads commands line by line from a stream (a terminal or
// a pipe), writes the prompt before each, stops at `exit`, `quit` or the end of input. The result is the last
// command's success, as broctl's shell exits with it.

import * as readline from 'readline';
import { CtlSession, runCtlCommand } from './ctl-commands';

export const PROMPT = '[NsmControl] > ';

export async function runCtlPrompt(input: NodeJS.ReadableStream, write: (text: string) => void, s: CtlSession, version: string): Promise<boolean> {
  write(`\nWelcome to nsm ctl ${version}\n\nType "help" for help.\n\n`);
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  let ok = true;
  write(PROMPT);
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'exit' || cmd === 'quit') {
      rl.close();
      return ok;
    }
    if (cmd !== '') ok = await runCtlCommand(cmd, s);
    write(PROMPT);
  }
  write('\n');
  return ok;
}
