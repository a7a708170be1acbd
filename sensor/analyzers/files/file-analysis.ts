// Zeek's file analysis framework, producer-neutral: a protocol analyzer (HTTP today; SMTP and FTP next) opens a file
// for each body it carries, hands it the bytes and gaps in order, and ends it. The file gets a fuid, has its MIME type
// sniffed from its first bytes with Zeek's magic signatures, is hashed as it streams (node:crypto), and is written to
// files.log when it ends. One FileAnalysis per run (per registry's shared state).

import { createHash, Hash, randomBytes } from 'node:crypto';
import { base62 } from '../../flows/uid';
import { parseIPv4, parseIPv6 } from '../../flows/local-networks';
import type { ConnectionContext } from '../registry';
import type { SharedState } from '../shared-state';
import { FileInfo, filesLog } from './files-log';
import { BOF_BUFFER_SIZE, sniffMime } from './mime-sniffer';

export type FileHashName = 'md5' | 'sha1' | 'sha256';

/**
 * Hashes computed by default: all three, as Zeek's shipped site/local.zeek does (it loads
 * frameworks/files/hash-all-files). Bare Zeek (`-b`, as most of its test cases run) computes none.
 */
export const DEFAULT_FILE_HASHES: readonly FileHashName[] = ['md5', 'sha1', 'sha256'];

/**
 * `--file-hashes`: a comma-separated list of md5, sha1, sha256 (any case, in any order, written in that order), or
 * `none`. Throws on anything else.
 */
export function parseFileHashes(text: string): FileHashName[] {
  const items = text.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  if (items.length === 1 && items[0] === 'none') return [];
  if (items.length === 0) throw new Error('empty list (use none for no hashes)');
  for (const it of items) {
    if (!(DEFAULT_FILE_HASHES as readonly string[]).includes(it)) throw new Error(`unknown hash ${it} (md5, sha1, sha256 or none)`);
  }
  return DEFAULT_FILE_HASHES.filter((h) => items.includes(h));
}

const ANALYZER_NAMES: Record<FileHashName, string> = { md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256' };

export interface FileOpenOptions {
  /** The protocol carrying the file (Zeek's f$source): `HTTP`. */
  source: string;
  /** Sent by the connection's originator. */
  isOrig: boolean;
  /** What identifies the file for its producer (Zeek's file handle); the fuid is derived from it. */
  handle: string;
  depth?: number;
  filename?: string;
  /** Size the protocol announced (Content-Length). */
  totalBytes?: number;
  /**
   * The data does not start at the file's first byte (an HTTP 206 piece from a later offset, or of an unknown one):
   * there is no beginning of file to sniff, as in Zeek, whose BOF buffer then never fills.
   */
  notFromStart?: boolean;
  /** Called once when the MIME type is known (Zeek's file_sniff with a mime_type), before the row is written. */
  onSniff?: (mimeType: string) => void;
}

/** One file being analysed. */
export class AnalyzedFile {
  readonly fuid: string;
  private readonly info: FileInfo;
  private readonly hashes: { name: FileHashName; hash: Hash }[];
  private lastActiveMicros: number;
  private bof: Buffer[] = [];
  private bofLength = 0;
  private sniffed = false;
  private ended = false;

  constructor(
    private readonly ctx: ConnectionContext,
    fuid: string,
    hashNames: readonly FileHashName[],
    private readonly opts: FileOpenOptions,
  ) {
    this.fuid = fuid;
    this.lastActiveMicros = ctx.networkTimeMicros;
    this.hashes = hashNames.map((name) => ({ name, hash: createHash(name) }));
    if (opts.notFromStart === true) this.sniffed = true;
    const local = isLocal(ctx.shared, opts.isOrig ? ctx.origAddr : ctx.respAddr);
    this.info = {
      tsMicros: ctx.networkTimeMicros,
      fuid,
      uid: ctx.uid,
      origAddr: ctx.origAddr,
      origPort: ctx.origPort,
      respAddr: ctx.respAddr,
      respPort: ctx.respPort,
      source: opts.source,
      depth: opts.depth ?? 0,
      analyzers: hashNames.map((h) => ANALYZER_NAMES[h]),
      filename: opts.filename,
      duration: 0,
      localOrig: local,
      isOrig: opts.isOrig,
      seenBytes: 0,
      totalBytes: opts.totalBytes,
      missingBytes: 0,
      overflowBytes: 0,
      timedout: false,
    };
  }

  /** The next `length` bytes of the file. */
  data(buf: Buffer, offset: number, length: number): void {
    if (this.ended || length <= 0) return;
    this.lastActiveMicros = this.ctx.networkTimeMicros;
    this.info.seenBytes += length;
    for (let i = 0; i < this.hashes.length; i++) this.hashes[i].hash.update(buf.subarray(offset, offset + length));
    if (!this.sniffed) {
      // Zeek's bof_buffer: the first BOF_BUFFER_SIZE bytes, sniffed once full (only if nothing was missed before).
      const take = Math.min(length, BOF_BUFFER_SIZE - this.bofLength);
      if (take > 0) {
        this.bof.push(Buffer.from(buf.subarray(offset, offset + take)));
        this.bofLength += take;
      }
      if (this.bofLength >= BOF_BUFFER_SIZE && this.info.missingBytes === 0) this.sniff();
    }
  }

  /** `length` bytes of the file will never arrive: hashing stops (Zeek drops its hash analyzers), the sniff is done. */
  gap(length: number): void {
    if (this.ended || length <= 0) return;
    this.lastActiveMicros = this.ctx.networkTimeMicros;
    this.info.missingBytes += length;
    this.hashes.length = 0;
    this.info.analyzers = [];
    if (!this.sniffed && this.bofLength > 0) this.sniff();
  }

  setTotalBytes(n: number): void {
    this.info.totalBytes = n;
  }

  get seenBytes(): number {
    return this.info.seenBytes;
  }

  get mimeType(): string | undefined {
    return this.info.mimeType;
  }

  /** End of the file: sniff what was buffered, finish the hashes, write the files.log row. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.sniffed) this.sniff();
    const info = this.info;
    for (const { name, hash } of this.hashes) info[name] = hash.digest('hex');
    info.duration = (this.lastActiveMicros - info.tsMicros) / 1e6;
    this.ctx.log(filesLog, info);
  }

  private sniff(): void {
    this.sniffed = true;
    const bof = this.bof.length === 1 ? this.bof[0] : Buffer.concat(this.bof, this.bofLength);
    this.bof = [];
    const mime = sniffMime(bof, 0, bof.length);
    if (mime === undefined) return;
    this.info.mimeType = mime;
    this.opts.onSniff?.(mime);
  }
}

/** Zeek's files.log local_orig: whether the sender is in the run's local networks; unset when none are configured. */
function isLocal(shared: SharedState, addr: string): boolean | undefined {
  const nets = shared.localNets;
  if (nets === undefined || !nets.configured) return undefined;
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) return nets.isLocal(v4, 0, 4);
  const v6 = parseIPv6(addr);
  return v6 === undefined ? undefined : nets.isLocal(v6, 0, 6);
}

/** The run's file analysis: configuration and fuids. */
export class FileAnalysis {
  /** Hashes computed for every new file. */
  hashes: readonly FileHashName[] = DEFAULT_FILE_HASHES;
  private readonly key = randomBytes(16);

  /** Zeek derives a fuid from a keyed hash of the producer's handle: `F` + base62 of 96 bits. */
  fuidFor(handle: string): string {
    const digest = createHash('sha256').update(this.key).update(handle).digest();
    return 'F' + base62(digest, 0, 12);
  }

  open(ctx: ConnectionContext, opts: FileOpenOptions): AnalyzedFile {
    return new AnalyzedFile(ctx, this.fuidFor(opts.handle), this.hashes, opts);
  }
}

const perRun = new WeakMap<SharedState, FileAnalysis>();

/** The file analysis of the run `shared` belongs to (created on first use). */
export function fileAnalysisOf(shared: SharedState): FileAnalysis {
  let fa = perRun.get(shared);
  if (fa === undefined) {
    fa = new FileAnalysis();
    perRun.set(shared, fa);
  }
  return fa;
}
