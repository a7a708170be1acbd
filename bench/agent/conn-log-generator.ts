// Writes Bro/Zeek-style conn.log lines (tab-separated, ~250 bytes each) for the agent bench and the integration tests.
// Lines are generated into one reused Buffer per chunk so a million lines take well under a second to write.

import * as fs from 'fs';

/** One conn.log row as Bro 2.x/Zeek write it (with l2 addresses and a community id, as sensors commonly log). */
export function connLogLine(n: number): string {
  const ts = (1_700_000_000 + n * 0.000731).toFixed(6);
  const uid = 'C' + (n * 2654435761 >>> 0).toString(36).padStart(7, 'x') + (n % 977).toString(36).padStart(2, '0') + 'kQ9z';
  const v6 = n % 5 === 0;
  const origH = v6 ? `2001:db8:${(n % 65536).toString(16)}::${(n % 251).toString(16)}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const respH = v6 ? `2001:db8:ffff::${(n % 4093).toString(16)}` : `192.168.${(n >> 4) & 255}.${(n % 254) + 1}`;
  const origP = 1024 + (n % 64000);
  const respP = [53, 80, 443, 22, 25][n % 5];
  const service = ['dns', 'http', 'ssl', 'ssh', 'smtp'][n % 5];
  const proto = respP === 53 ? 'udp' : 'tcp';
  const dur = ((n % 9973) / 997).toFixed(6);
  const ob = (n * 7) % 100000, rb = (n * 13) % 1000000;
  const mac = (k: number): string => Array.from({ length: 6 }, (_, i) => ((k >> (i * 3)) & 255).toString(16).padStart(2, '0')).join(':');
  const cid = '1:' + Buffer.from(`${origH}${respH}${n}`).toString('base64').slice(0, 28) + '=';
  return [ts, uid, origH, origP, respH, respP, proto, service, dur, ob, rb, 'SF', 'T', 'F', 0, 'ShADadFf',
    (n % 40) + 3, ob + 200, (n % 60) + 3, rb + 300, 'CjhGID4nQcgTWjvg4c,C8hkv3Kbq5qgOfQ6Mb', mac(n), mac(n * 31 + 7), 100 + (n % 3000), '-', cid,
    `line${n}`].join('\t');
}

/** Writes `count` lines numbered from `first` to `file` (appends); returns the bytes written. */
export function writeConnLog(file: string, count: number, first = 0): number {
  const fd = fs.openSync(file, 'a');
  let total = 0;
  try {
    const chunkLines = 4096;
    for (let start = 0; start < count; start += chunkLines) {
      const end = Math.min(count, start + chunkLines);
      let text = '';
      for (let i = start; i < end; i++) text += connLogLine(first + i) + '\n';
      const buf = Buffer.from(text, 'latin1');
      fs.writeSync(fd, buf);
      total += buf.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}
