// Checks that a configured work directory can hold the agent's state files and disk queue.
// A directory the config names but the agent cannot write to means lost positions: an error, not a warning.

import * as fs from 'fs';
import type { SourceLocation } from './agent-config';
import type { DiagnosticList } from './diagnostic-list';

export function checkWorkDirectory(dir: string, where: SourceLocation, diags: DiagnosticList): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    diags.error(where, `work directory ${dir} does not exist (${code ?? 'stat failed'}): the agent could not keep its state files there`);
    return;
  }
  if (!st.isDirectory()) {
    diags.error(where, `work directory ${dir} is not a directory`);
    return;
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    diags.error(where, `work directory ${dir} is not writable by this user (uid ${process.getuid?.() ?? '?'}): the agent could not keep its state files there`);
  }
}
