// At start, the checkpoint may name a file that logrotate renamed beside the path (conn.log → conn.log.1) while
// the agent was down, with lines still unread. Finds it by inode in the path's directory so they are not lost.

import * as fs from 'fs';
import * as path from 'path';
import { headStillMatches, openAndIdentify, sameInode, type FileIdentity, type OpenedFile } from './file-identity';

/** Directory entries looked at, at most: a spool directory holds a handful of logs, not thousands. */
const MAX_ENTRIES = 1000;

export interface RenamedFile {
  opened: OpenedFile;
  /** Where to resume: the checkpoint offset, or 0 when the file was truncated and rewritten since. */
  offset: number;
}

/**
 * Looks in `directory` for the checkpoint's inode. Same first bytes and at least `offset` bytes: our file, resume
 * there. Otherwise (shorter, or its first bytes changed: it was truncated after the checkpoint) it is still a
 * generation of the configured file when its name starts with the file's name (conn.log.1, conn.log-20240101):
 * read it from 0 rather than lose it. An unrelated file that reused the inode (dns.log) is left alone.
 */
export async function findRenamedFile(configuredPath: string, identity: FileIdentity, offset: number): Promise<RenamedFile | undefined> {
  const directory = path.dirname(configuredPath);
  const baseName = path.basename(configuredPath);
  let names: string[];
  try {
    names = (await fs.promises.readdir(directory)).slice(0, MAX_ENTRIES);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (name === baseName) continue;
    const candidate = path.join(directory, name);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(candidate);
    } catch {
      continue;
    }
    if (!st.isFile() || !sameInode({ dev: st.dev, ino: st.ino }, identity)) continue;
    const opened = await openAndIdentify(candidate).catch(() => undefined);
    if (!opened) continue;
    if (sameInode(opened.identity, identity)) {
      const unchanged = opened.size >= offset && (await headStillMatches(opened.handle, identity));
      if (unchanged) return { opened, offset };
      if (name.startsWith(baseName)) return { opened, offset: 0 };
    }
    await opened.handle.close();
  }
  return undefined;
}
