// Checks that a work directory can hold the agent's state files and disk queue, and that nobody else can write
// there. A directory the config names but the agent cannot write to means lost positions: an error, not a warning.
// A directory others can write to lets them plant links or files the agent (often root) then trusts: refused, as
// sshd's StrictModes refuses such a home directory.

import * as fs from 'fs';
import * as path from 'path';
import { makeDirectorySync } from '../../src/core/atomic-file';
import type { SourceLocation } from './agent-config';
import type { DiagnosticList } from './diagnostic-list';

/** The work directory and every directory the agent creates in it, whatever the umask (group may read status and log). */
export const WORK_DIRECTORY_MODE = 0o750;
/** The disk queue holds the shipped lines themselves: the agent's user only. */
export const QUEUE_DIRECTORY_MODE = 0o700;

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
    return;
  }
  const unsafe = unsafeWorkDirectoryReason(dir);
  if (unsafe !== undefined) diags.error(where, unsafe);
}

/**
 * Why `dir` is not safe to keep state in, or undefined when it is. Unsafe: the directory, or a directory above it,
 * is owned by a user other than root and this process's, or is writable by group or others (a directory above may
 * be when it has the sticky bit, as /tmp: then others cannot rename what is in it). The path is resolved first, so
 * a symlinked work directory is judged by where it leads.
 */
export function unsafeWorkDirectoryReason(dir: string, uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined; // no uids on this platform (Windows): nothing to compare with
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return undefined; // a missing directory is reported (or created) by the caller
  }
  for (let d = real; ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    const what = d === real ? `work directory ${dir}` : `work directory ${dir}: its parent ${d}`;
    if (st.uid !== 0 && st.uid !== uid) {
      return `${what} is owned by uid ${st.uid}, neither root nor the agent's uid ${uid}: refused (that user could plant files the agent trusts)`;
    }
    const sticky = (st.mode & 0o1000) !== 0;
    if ((st.mode & 0o022) !== 0 && (d === real || !sticky)) {
      return `${what} is writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): ` +
        `refused; chmod go-w ${d}`;
    }
    if (d === path.dirname(d)) return undefined;
  }
}

/**
 * Creates the work directory and its `queue/` with fixed modes (whatever the umask), then refuses it if others can
 * write to it. Throws an Error whose message says what is wrong.
 */
export function prepareWorkDirectory(dir: string): void {
  makeDirectorySync(dir, WORK_DIRECTORY_MODE);
  const unsafe = unsafeWorkDirectoryReason(dir);
  if (unsafe !== undefined) throw new Error(unsafe);
  makeDirectorySync(path.join(dir, 'queue'), QUEUE_DIRECTORY_MODE);
}
