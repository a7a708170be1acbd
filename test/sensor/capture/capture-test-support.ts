// Shared by the capture and decode tests: the Zeek case captures, running real tools, and reading a file fully.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { openCaptureFile } from '../../../sensor/capture/open-capture';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

export const ZEEK_CASES = ZEEK_CASES_DIR;

/** Every capture in the Zeek cases (pcap and pcapng). */
export function zeekCaptures(): string[] {
  const files: string[] = [];
  for (const dir of fs.readdirSync(ZEEK_CASES).sort()) {
    const full = path.join(ZEEK_CASES, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const f of fs.readdirSync(full)) if (/\.pcap(ng)?$/.test(f)) files.push(path.join(full, f));
  }
  if (files.length === 0) throw new Error(`no captures under ${ZEEK_CASES}`);
  return files;
}

export function caseCapture(caseName: string): string {
  const dir = path.join(ZEEK_CASES, caseName);
  const f = fs.readdirSync(dir).find((n) => /\.pcap(ng)?$/.test(n));
  if (!f) throw new Error(`no capture in ${dir}`);
  return path.join(dir, f);
}

/** Runs a tool and returns stdout; throws (failing the test) when the tool is missing or fails. */
export function runTool(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** tshark field rows for a file, one array per packet. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...extra];
  for (const f of fields) args.push('-e', f);
  const out = runTool('tshark', args);
  return out.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1)).map((l) => l.split('\t'));
}

export interface ReadPacket {
  linkType: number;
  bytes: Buffer;
  wireLength: number;
  tsSec: number;
  tsUsec: number;
}

/** Reads a whole capture with our reader, copying each packet. Returns the packets and the error run() ended with. */
export async function readAll(file: string, opts: { filter?: string; chunkBytes?: number } = {}): Promise<{ packets: ReadPacket[]; error?: Error }> {
  const packets: ReadPacket[] = [];
  const src = openCaptureFile(file, opts);
  try {
    await src.run((linkType, frame, offset, capLength, wireLength, tsSec, tsUsec) => {
      packets.push({ linkType, bytes: Buffer.from(frame.subarray(offset, offset + capLength)), wireLength, tsSec, tsUsec });
    });
    return { packets };
  } catch (e) {
    return { packets, error: e as Error };
  }
}
