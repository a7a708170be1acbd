// Where reading may start in a file without cutting a line: just past the last complete line (a fresh start at the
// end), and whether a checkpoint's offset really is the start of a line (a damaged or foreign state file may point
// into the middle of one, and the tail of that line must not go out as a line of its own).

import type { FileHandle } from 'fs/promises';

const LF = 0x0a;
const SCAN_CHUNK = 64 * 1024;

/** freshStartTail: start just past the last LF in the file's last chunk, so a half-written last line is not cut. */
export async function offsetAfterLastLine(handle: FileHandle, size: number, scratch: Buffer): Promise<number> {
  if (size === 0) return 0;
  const start = Math.max(0, size - scratch.length);
  const { bytesRead } = await handle.read(scratch, 0, size - start, start);
  const lastLf = scratch.subarray(0, bytesRead).lastIndexOf(LF);
  if (lastLf !== -1) return start + lastLf + 1;
  return start === 0 ? 0 : size;
}

/**
 * True when `offset` (≤ size) starts a line as the tailer would have left it: 0, just past an LF, at the end of the
 * file (a last line without LF that was shipped when its file ended), or a multiple of `maxLineBytes` into a line
 * (where a line too long to keep was cut into pieces). Otherwise the offset points into a line.
 */
export async function isLineStart(handle: FileHandle, offset: number, size: number, maxLineBytes: number): Promise<boolean> {
  if (offset === 0 || offset >= size) return true;
  const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, offset));
  // Back to the LF before the offset (or the file's start): bounded by the offset, read once at start-up.
  let end = offset;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    if (bytesRead < end - start) return true; // shrank under us: the truncation check decides, not this one
    const lf = chunk.subarray(0, bytesRead).lastIndexOf(LF);
    if (lf !== -1) return (offset - (start + lf + 1)) % maxLineBytes === 0;
    end = start;
  }
  return offset % maxLineBytes === 0;
}
