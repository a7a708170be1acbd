// Remembers, per monitored file, where reading stopped: one small JSON state file each, written atomically so a
// crash leaves the old or the new position, never a torn one. Reading a damaged state file never throws.

import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic-file';
import type { Logger } from '../../src/core/logger';
import type { FileIdentity } from '../tailer/file-identity';

export interface FileCheckpoint {
  path: string;
  identity: FileIdentity;
  /** byte offset just past the last line confirmed delivered */
  offset: number;
}

/**
 * Version 1 throughout. `bornNs` (the file's birth time, decimal ns) was added later as an optional field: state files
 * written before it load as before (without it), and a reader that predates it ignores it.
 */
const FORMAT_VERSION = 1;

/** What a corrupt state file makes the tailer do: the no-loss choice (possible duplicates, never a gap). */
export const CORRUPT_STATE_POSITION = 'the tailer will read the current file from offset 0 (no line lost; lines already shipped may be sent again)';

export class StateStore {
  constructor(private readonly workDirectory: string, private readonly logger: Logger) {}

  /** `stateFile` relative to the work directory, or absolute. */
  resolve(stateFile: string): string {
    return path.resolve(this.workDirectory, stateFile);
  }

  /** Reads a state file; a missing file → undefined; a corrupt/unreadable one → undefined plus a logged warning naming the file and saying which safe position the tailer will use. Never throws. */
  load(stateFile: string): FileCheckpoint | undefined {
    const file = this.resolve(stateFile);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      this.logger.warn(`${file}: cannot read state file (${code ?? String(err)}); ${CORRUPT_STATE_POSITION}`, { stateFile: file });
      return undefined;
    }
    const problem = { text: '' };
    const checkpoint = parseCheckpoint(text, problem);
    if (checkpoint === undefined) {
      this.logger.warn(`${file}: corrupt state file (${problem.text}); ${CORRUPT_STATE_POSITION}`, { stateFile: file });
    }
    return checkpoint;
  }

  /** Atomic: write temp + fsync + rename + fsync dir (use src/core/atomic-file.ts). */
  save(stateFile: string, checkpoint: FileCheckpoint): void {
    const target = this.resolve(stateFile);
    try {
      writeFileAtomicSync(target, encodeCheckpoint(checkpoint));
    } catch (err) {
      removeTempLeftovers(target);
      throw err;
    }
  }

  /**
   * save() without blocking the event loop (the fsyncs run on libuv's thread pool). Added for the agent's
   * FileServer, which writes a checkpoint per confirmed batch. Same format and atomicity as save(); the caller
   * must not run two writes of the same state file at once (they share one temp file name).
   */
  async saveAsync(stateFile: string, checkpoint: FileCheckpoint): Promise<void> {
    const target = this.resolve(stateFile);
    try {
      await writeFileAtomic(target, encodeCheckpoint(checkpoint));
    } catch (err) {
      removeTempLeftovers(target);
      throw err;
    }
  }
}

/**
 * A failed atomic write (full disk: the temp file is created empty and the write fails; a directory at the state
 * path: the rename fails) leaves its temp file behind, and a retry loop would leave one per attempt or keep an
 * empty one. Removes this state file's temp files beside `target` (one write at a time per state file).
 */
function removeTempLeftovers(target: string): void {
  const dir = path.dirname(target);
  // The middle part (a pid, or random characters) has no dot, so `.NAME.1.<pid>.tmp` of a state file NAME.1 is spared.
  const ours = new RegExp(`^\\.${path.basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[A-Za-z0-9_-]+\\.tmp$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!ours.test(name)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // Gone already, or not removable now: the next failed write tries again.
    }
  }
}

function encodeCheckpoint(checkpoint: FileCheckpoint): string {
  const { identity } = checkpoint;
  const record = {
    version: FORMAT_VERSION,
    path: checkpoint.path,
    dev: identity.dev,
    ino: identity.ino,
    fingerprint: identity.fingerprint,
    headLength: identity.headLength,
    headDigest: identity.headDigest,
    bornNs: identity.bornNs,
    offset: checkpoint.offset,
  };
  return JSON.stringify(record) + '\n';
}

/** Validates every field; on failure leaves a human reason in `problem.text` and returns undefined. */
function parseCheckpoint(text: string, problem: { text: string }): FileCheckpoint | undefined {
  if (text.trim() === '') {
    problem.text = 'empty file';
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the file's first bytes, and a state path may have been pointed at a secret.
    problem.text = `not JSON (${Buffer.byteLength(text)} bytes)`;
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem.text = 'not a JSON object';
    return undefined;
  }
  const r = value as Record<string, unknown>;
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const isHex = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]*$/.test(v);
  if (r.version !== FORMAT_VERSION) problem.text = `unknown version ${Number.isSafeInteger(r.version) ? String(r.version) : `(a ${typeof r.version})`}`;
  else if (typeof r.path !== 'string') problem.text = 'path missing';
  else if (!isCount(r.dev) || !isCount(r.ino)) problem.text = 'dev/ino missing or not a non-negative integer';
  else if (!isHex(r.fingerprint)) problem.text = 'fingerprint missing or not hex';
  else if (r.headLength !== undefined && !isCount(r.headLength)) problem.text = 'headLength not a non-negative integer';
  else if (r.headDigest !== undefined && !isHex(r.headDigest)) problem.text = 'headDigest not hex';
  else if (r.bornNs !== undefined && !(typeof r.bornNs === 'string' && /^[0-9]{1,20}$/.test(r.bornNs))) problem.text = 'bornNs not a string of decimal digits';
  else if (!isCount(r.offset)) problem.text = 'offset missing or not a non-negative integer';
  if (problem.text !== '') return undefined;
  const identity: FileIdentity = { dev: r.dev as number, ino: r.ino as number, fingerprint: r.fingerprint as string };
  if (r.headLength !== undefined) identity.headLength = r.headLength as number;
  if (r.headDigest !== undefined) identity.headDigest = r.headDigest as string;
  if (r.bornNs !== undefined) identity.bornNs = r.bornNs as string;
  return { path: r.path as string, identity, offset: r.offset as number };
}
