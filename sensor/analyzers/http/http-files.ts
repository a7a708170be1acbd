// HTTP as a producer for file analysis (Zeek's base/protocols/http/entities.zeek and files.zeek): each message body
// with data is a file (source HTTP), named by Content-Disposition (or a Content-Type name=), sized by Content-Length;
// its fuid, file name and sniffed MIME type go into the transaction's http.log row (orig_* for request bodies,
// resp_* for replies), at most 15 of each (Zeek's HTTP::max_files_orig / max_files_resp).

import type { ConnectionContext } from '../registry';
import { AnalyzedFile, fileAnalysisOf } from '../files/file-analysis';
import { multipartBoundary, MultipartSplitter } from '../files/multipart';
import type { HttpInfo } from './http-log';
import { unescapeUri } from './http-parser';

/** Zeek's HTTP::max_files_orig and HTTP::max_files_resp. */
export const MAX_FILES_PER_SIDE = 15;

const FILENAME_IN_DISPOSITION = /[fF][iI][lL][eE][nN][aA][mM][eE][ \t]*\*?=/;
const NAME_IN_CONTENT_TYPE = /[nN][aA][mM][eE][ \t]*=/;

/** Zeek's extract_filename_from_content_disposition (base/utils/files.zeek). */
export function filenameFromDisposition(value: string): string {
  let name = value.replace(/^.*[nN][aA][mM][eE][ \t]*\*?=[ \t]*/, '');
  if (name.startsWith('"')) name = name.split('"')[1] ?? '';
  // RFC 5987's charset'language'value: the value only.
  if (/^[a-zA-Z0-9!#$%&+-^_`{}~]+'[a-zA-Z0-9!#$%&+-^_`{}~]*'/.test(name)) name = name.replace(/^.+'.*'/, '');
  return unescapeUri(name, () => undefined);
}

interface Side {
  /** File name and announced size of the current message, from its headers. */
  filename?: string;
  contentLength?: number;
  contentType?: string;
  /** A 206 reply: the first byte offset its Content-Range gives (NaN when unreadable) and the whole file's size. */
  rangeStart?: number;
  instanceLength?: number;
  status?: number;
  /** A multipart body: split into its parts, each its own file (Zeek's MIME sub-entities); null when not multipart. */
  splitter?: MultipartSplitter | null;
  /** Bodies seen on this side so far (Zeek's orig/resp_mime_depth, part of the file handle). */
  depth: number;
  file?: AnalyzedFile;
  /** The http.log row the open file reports to. */
  row?: HttpInfo;
}

export class HttpFiles {
  private readonly sides: [Side, Side] = [{ depth: 0 }, { depth: 0 }];

  constructor(private readonly ctx: ConnectionContext) {}

  /** A request or status line: a new message starts on that side (any file left open ends). */
  beginMessage(isOrig: boolean, status?: number): void {
    const s = this.side(isOrig);
    this.endFile(isOrig);
    s.status = status;
    s.rangeStart = undefined;
    s.instanceLength = undefined;
    s.filename = undefined;
    s.contentLength = undefined;
    s.contentType = undefined;
    s.splitter = undefined;
  }

  header(isOrig: boolean, name: string, value: string): void {
    const s = this.side(isOrig);
    if (name === 'CONTENT-TYPE') s.contentType = value;
    if (name === 'CONTENT-RANGE' && s.status === 206) {
      // Zeek's HTTP_Entity: `bytes FIRST-LAST/LENGTH`; the file's size is LENGTH (unknown with `*`).
      const m = /^bytes[ \t]+([0-9]+)-([0-9]+)\/([0-9]+|\*)$/.exec(value.trim());
      s.rangeStart = m === null ? NaN : Number(m[1]);
      s.instanceLength = m === null || m[3] === '*' ? undefined : Number(m[3]);
    }
    if (name === 'CONTENT-DISPOSITION' ? FILENAME_IN_DISPOSITION.test(value) : name === 'CONTENT-TYPE' && NAME_IN_CONTENT_TYPE.test(value)) {
      s.filename = filenameFromDisposition(value);
    } else if (name === 'CONTENT-LENGTH' && /^[0-9]{1,15}$/.test(value)) {
      const n = Number(value);
      s.contentLength = n > 0 ? n : undefined;
    }
  }

  data(isOrig: boolean, row: HttpInfo, buf: Buffer, offset: number, length: number): void {
    const s = this.side(isOrig);
    if (s.splitter === undefined) {
      const boundary = multipartBoundary(s.contentType);
      s.splitter = boundary === undefined ? null : this.splitterFor(isOrig, row, boundary);
    }
    if (s.splitter !== null) s.splitter.write(buf, offset, length);
    else this.fileFor(isOrig, row).data(buf, offset, length);
  }

  gap(isOrig: boolean, row: HttpInfo, length: number): void {
    const s = this.side(isOrig);
    // A gap in a multipart body loses the part structure: the rest is not analysed.
    if (s.splitter) {
      s.splitter.end();
      s.splitter = null;
      return;
    }
    this.fileFor(isOrig, row).gap(length);
  }

  /** The message on this side is done: its file ends (files.log row written, MIME type in the http row). */
  endFile(isOrig: boolean): void {
    const s = this.side(isOrig);
    if (s.splitter) s.splitter.end();
    s.splitter = undefined;
    const file = s.file;
    if (file === undefined) return;
    s.file = undefined;
    s.row = undefined;
    file.end();
  }

  /** Each leaf part of a multipart body becomes a file, named by its own Content-Disposition. */
  private splitterFor(isOrig: boolean, row: HttpInfo, boundary: string): MultipartSplitter {
    const s = this.side(isOrig);
    let partName: string | undefined;
    let started = false;
    return new MultipartSplitter(boundary, {
      partBegin: (headers) => {
        partName = undefined;
        started = false;
        for (const h of headers) {
          if (h.name === 'CONTENT-DISPOSITION' ? FILENAME_IN_DISPOSITION.test(h.value) : h.name === 'CONTENT-TYPE' && NAME_IN_CONTENT_TYPE.test(h.value)) {
            partName = filenameFromDisposition(h.value);
          }
        }
      },
      partData: (data, offset, length) => {
        if (!started) {
          started = true;
          s.filename = partName;
          s.contentLength = undefined;
        }
        this.fileFor(isOrig, row).data(data, offset, length);
      },
      partEnd: () => {
        const file = s.file;
        s.file = undefined;
        file?.end();
      },
    });
  }

  private side(isOrig: boolean): Side {
    return this.sides[isOrig ? 0 : 1];
  }

  private fileFor(isOrig: boolean, row: HttpInfo): AnalyzedFile {
    const s = this.side(isOrig);
    if (s.file !== undefined) return s.file;
    s.depth++;
    const c = this.ctx;
    // Zeek's HTTP::get_file_handle: analyzer, connection, direction, transaction and MIME depth.
    const handle = `HTTP ${c.uid} ${isOrig ? 'T' : 'F'} ${row.transDepth} ${s.depth}`;
    const fuids = (isOrig ? (row.origFuids ??= []) : (row.respFuids ??= []));
    const underLimit = fuids.length < MAX_FILES_PER_SIDE;
    const file = fileAnalysisOf(c.shared).open(c, {
      source: 'HTTP',
      isOrig,
      handle,
      filename: s.filename,
      totalBytes: s.rangeStart !== undefined ? s.instanceLength : s.contentLength,
      notFromStart: s.rangeStart !== undefined && s.rangeStart !== 0,
      onSniff: (mime) => {
        const types = isOrig ? (row.origMimeTypes ??= []) : (row.respMimeTypes ??= []);
        if (types.length < MAX_FILES_PER_SIDE) types.push(mime);
      },
    });
    if (underLimit) {
      fuids.push(file.fuid);
      if (s.filename !== undefined) (isOrig ? (row.origFilenames ??= []) : (row.respFilenames ??= [])).push(s.filename);
    }
    s.file = file;
    s.row = row;
    return file;
  }
}
