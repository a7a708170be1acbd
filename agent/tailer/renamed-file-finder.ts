// At start, the checkpoint may name a file that logrotate renamed beside the path (conn.log → conn.log.1) while
// the agent was down, with lines still unread. Finds it by inode in the path's directory so they are not lost, and
// finds the generations that followed it at the path (conn.log.2 ...) by birth time, so a restart in a burst of
// rotations skips none, also when the checkpoint's own file is gone (deleted).

import * as fs from 'fs';
import type { FileHandle } from 'fs/promises';
import * as path from 'path';
import { bornNsOf, headStillMatches, openAndIdentify, sameInode, type FileIdentity, type OpenedFile } from './file-identity';

/** Directory entries looked at, at most: a spool directory holds a handful of logs, not thousands. */
const MAX_ENTRIES = 1000;

/** First bytes of gzip, bzip2, xz and zstd files: a compressed old generation is not lines to ship. */
const COMPRESSED_MAGIC = [Buffer.from([0x1f, 0x8b]), Buffer.from('BZh'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];

export interface RenamedFile {
  opened: OpenedFile;
  /** Where to resume: the checkpoint offset, or 0 when the file was truncated and rewritten since. */
  offset: number;
}

/**
 * True when `name` looks like a rotated generation of the file named `baseName`: it starts with the whole name
 * (conn.log.1, conn.log-20240101), or with its stem and a dot and ends with its extension
 * (conn.2024-01-01-00-00-00.log, as Zeek names them). The extension is required so that other files sharing the
 * stem (conn.state, conn.pid) are not taken for log generations and shipped.
 */
export function isGenerationName(name: string, baseName: string): boolean {
  if (name === baseName) return false;
  if (name.startsWith(baseName)) return true;
  const { name: stem, ext } = path.parse(baseName);
  return ext !== '' && stem !== '' && name.startsWith(stem + '.') && name.endsWith(ext) && name.length > baseName.length;
}

/**
 * Looks in `directory` for the checkpoint's inode. Same first bytes and at least `offset` bytes: our file, resume
 * there. Otherwise (shorter, or its first bytes changed: it was truncated after the checkpoint) it is still a
 * generation of the configured file when its name looks like one (conn.log.1, conn.log-20240101): read it from 0
 * rather than lose it. An unrelated file that reused the inode (dns.log) is left alone.
 */
export async function findRenamedFile(configuredPath: string, identity: FileIdentity, offset: number): Promise<RenamedFile | undefined> {
  const baseName = path.basename(configuredPath);
  for (const candidate of await listDirectory(configuredPath)) {
    const st = await fs.promises.stat(candidate).catch(() => undefined);
    if (!st || !st.isFile() || !sameInode({ dev: st.dev, ino: st.ino }, identity)) continue;
    const opened = await openAndIdentify(candidate).catch(() => undefined);
    if (!opened) continue;
    if (sameInode(opened.identity, identity)) {
      const unchanged = opened.size >= offset && (await headStillMatches(opened.handle, identity));
      if (unchanged) return { opened, offset };
      if (isGenerationName(path.basename(candidate), baseName)) return { opened, offset: 0 };
    }
    await opened.handle.close();
  }
  return undefined;
}

/**
 * The generations of the configured path born since `bornSinceNs` (the birth of the file read before them) and, when
 * given, not after `before` (the file at the path now), oldest first, opened. These are files that were at the path
 * after the one we were reading and were rotated away before we got to them. Birth time orders them (see bornNsOf for
 * filesystems without one); `skip` leaves out files the caller holds or reads already; compressed files are skipped.
 * A file born in the same clock tick as `bornSinceNs` or `before` is taken too (a possible re-read beats a possible
 * loss), and files born in one tick are ordered by inode.
 */
export async function findLaterGenerations(
  configuredPath: string,
  bornSinceNs: bigint,
  before: FileHandle | undefined,
  skip: (file: { dev: number; ino: number; bornNs: string }) => boolean,
): Promise<OpenedFile[]> {
  const baseName = path.basename(configuredPath);
  const notAfter = before ? bornNsOf(await before.stat({ bigint: true })) : undefined;
  const found: Array<{ opened: OpenedFile; born: bigint; ino: number }> = [];
  for (const candidate of await listDirectory(configuredPath)) {
    if (!isGenerationName(path.basename(candidate), baseName)) continue;
    const st = await fs.promises.stat(candidate, { bigint: true }).catch(() => undefined);
    if (!st || !st.isFile()) continue;
    const born = bornNsOf(st);
    if (born < bornSinceNs || (notAfter !== undefined && born > notAfter)) continue;
    const inode = { dev: Number(st.dev), ino: Number(st.ino) };
    if (skip({ ...inode, bornNs: born.toString() })) continue;
    const opened = await openAndIdentify(candidate).catch(() => undefined);
    if (!opened) continue;
    // Renamed again between the stat and the open: what we opened is another file; leave it to its own turn.
    if (!sameInode(opened.identity, inode) || COMPRESSED_MAGIC.some((m) => opened.head.subarray(0, m.length).equals(m))) {
      await opened.handle.close();
      continue;
    }
    found.push({ opened, born, ino: inode.ino });
  }
  found.sort((a, b) => (a.born < b.born ? -1 : a.born > b.born ? 1 : a.ino - b.ino));
  return found.map((f) => f.opened);
}

/** The other entries of the path's directory (full paths), at most MAX_ENTRIES; none when it cannot be read. */
async function listDirectory(configuredPath: string): Promise<string[]> {
  const directory = path.dirname(configuredPath);
  const baseName = path.basename(configuredPath);
  try {
    const names = (await fs.promises.readdir(directory)).slice(0, MAX_ENTRIES);
    return names.filter((n) => n !== baseName).map((n) => path.join(directory, n));
  } catch {
    return [];
  }
}
