// The seam between packet sources (files, live interfaces) and the decoder: one callback per packet,
// bytes passed as (buffer, offset, length) so a source can hand out slices of its big read buffer.

/** Receives one packet. `frame` may be a large shared Buffer: use offset/capLength and do not keep it. */
export type PacketHandler = (
  linkType: number,
  frame: Buffer,
  offset: number,
  capLength: number,
  wireLength: number,
  tsSec: number,
  tsUsec: number,
) => void;

export type ProgressHandler = (bytesRead: number, totalBytes: number, packets: number) => void;

export interface CaptureSource {
  readonly description: string;
  /** Delivers every packet, then resolves; rejects with CaptureFileError on a damaged file (after the good packets). */
  run(onPacket: PacketHandler, onProgress?: ProgressHandler): Promise<void>;
  /** Asks a running source to stop after the current packet; run() then resolves. */
  stop(): void;
}
