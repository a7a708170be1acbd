// `nsm ctl [--home DIR] [COMMAND [ARGS]]`: broctl's control commands on the nsm home; without a command, broctl's
// interactive prompt.

import { Command } from 'commander';
import { CtlSession, runCtlCommand } from '../control/ctl-commands';
import { runCtlPrompt } from '../control/ctl-prompt';
import { LoadedHome, loadHome } from '../control/load-home';
import { resolveHome } from '../control/nsm-home';

interface CtlOptions {
  home?: string;
}

export function registerCtlCommand(program: Command, version: string): void {
  program
    .command('ctl')
    .description("broctl's commands on the nsm home (config, print, nodes, check); no command: an interactive prompt")
    .argument('[command...]', 'a broctl command and its arguments (help lists them)')
    .option('--home <dir>', 'the nsm home (default: $NSM_HOME, else /usr/local/nsm)')
    .allowUnknownOption()
    .addHelpText('after', '\nExit status: 0 when the command succeeded, 1 when it failed (a configuration with errors, a command\nnot implemented yet).')
    .action(async (words: string[], opts: CtlOptions) => {
      const home = resolveHome(opts.home);
      let loaded: Promise<LoadedHome> | undefined;
      const session: CtlSession = {
        home,
        load: () => (loaded ??= loadHome(home, { version })),
        io: {
          out: (line) => process.stdout.write(line + '\n'),
          err: (line) => process.stderr.write(line + '\n'),
        },
      };
      const ok = words.length === 0
        ? await runCtlPrompt(process.stdin, (t) => process.stdout.write(t), session, version)
        : await runCtlCommand(words.join(' '), session);
      if (!ok) process.exitCode = 1;
    });
}
