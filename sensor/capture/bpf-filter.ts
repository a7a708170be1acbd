// `-f BPF` for files: libpcap compiles the expression (through `tcpdump -ddd -y <DLT>`, so nsm needs no native
// compiler binding) once per link type met in the file, and BpfProgram runs it on each packet.

import { execFileSync } from 'child_process';
import { BpfProgram } from './bpf-program';
import { CaptureFileError } from './capture-file-error';
import type { PacketFilter } from './file-capture-source';
import { linkTypeDltName } from './link-types';

/**
 * Compiles `expression` for one link type with libpcap; throws CaptureFileError with libpcap's message when invalid.
 * With `savefile` (a classic pcap of that link type) libpcap compiles for the file itself, as `tcpdump -r` does:
 * that matters for null/loopback files, whose address family is in the writer's byte order and BSD numbering.
 */
export function compileBpf(expression: string, linkType: number, savefile?: string): BpfProgram {
  const dlt = linkTypeDltName(linkType);
  if (dlt === undefined) throw new CaptureFileError(`cannot apply filter "${expression}" to link type ${linkType}`);
  let listing: string;
  try {
    const source = savefile !== undefined ? ['-r', savefile] : ['-y', dlt];
    listing = execFileSync('tcpdump', [...source, '-ddd', '--', expression], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT') throw new CaptureFileError('filtering a capture file needs tcpdump (libpcap filter compiler); install the tcpdump package');
    const why = (err.stderr ?? err.message).split('\n').filter((l) => l.trim() !== '').pop() ?? err.message;
    throw new CaptureFileError(`invalid BPF filter "${expression}": ${why.replace(/^tcpdump: /, '')}`);
  }
  try {
    return BpfProgram.fromDecimal(listing);
  } catch (e) {
    throw new CaptureFileError(`invalid BPF filter "${expression}": ${(e as Error).message}`);
  }
}

/** One compiled program per link type (pcapng files can mix link types). */
export class BpfFilter implements PacketFilter {
  private readonly programs = new Map<number, BpfProgram>();

  constructor(readonly expression: string) {}

  /** Compiles now for a classic pcap's link type, so a bad expression fails before reading starts. */
  prepare(linkType: number, savefile?: string): void {
    if (!this.programs.has(linkType)) this.programs.set(linkType, compileBpf(this.expression, linkType, savefile));
  }

  matches(linkType: number, frame: Buffer, offset: number, capLength: number, wireLength: number): boolean {
    let program = this.programs.get(linkType);
    if (program === undefined) {
      program = compileBpf(this.expression, linkType);
      this.programs.set(linkType, program);
    }
    return program.run(frame, offset, capLength, wireLength) !== 0;
  }
}
