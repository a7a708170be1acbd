// Programs outside nsm run on the bench's capture, for scale: libpcap's own read (`tcpdump -r FILE -w /dev/null`) and a
// flow tracker written in C (argus, which turns packets into bidirectional flow records with TCP state, as conn.log
// does). Their CPU comes from the kernel's account of waited-for children (/proc/self/stat cutime + cstime), so it
// covers every thread they run, as process.cpuUsage() does for nsm's own phases.

import { spawnSync } from 'child_process';
import * as fs from 'fs';

export interface ExternalPeer {
  name: string;
  /** What it does, for the table. */
  label: string;
  command: string;
  args: (file: string) => string[];
  /** The Debian package scripts/install-deps.sh installs it from. */
  debianPackage: string;
}

export const EXTERNAL_PEERS: ExternalPeer[] = [
  {
    name: 'libpcap read',
    label: 'tcpdump -r FILE -w /dev/null',
    command: 'tcpdump',
    args: (file) => ['-n', '-r', file, '-w', '/dev/null'],
    debianPackage: 'tcpdump',
  },
  {
    name: 'argus (C)',
    // -X: start from argus' built-in defaults, not /etc/argus.conf (which names an output file of its own).
    label: 'argus -X -r FILE -w /dev/null',
    command: 'argus',
    args: (file) => ['-X', '-r', file, '-w', '/dev/null'],
    debianPackage: 'argus-server',
  },
];

export interface ExternalPeerResult {
  name: string;
  label: string;
  cpuSeconds: number;
  wallSeconds: number;
}

/** CPU seconds of this process's waited-for children so far (Linux). */
function childrenCpuSeconds(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime (fields 16 and 17 of stat) in clock ticks of USER_HZ = 100.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs `peer` over `file` once and returns its CPU and wall time; throws (naming the package) when it is missing or fails. */
export function runExternalPeer(peer: ExternalPeer, file: string): ExternalPeerResult {
  const cpu0 = childrenCpuSeconds();
  const wall0 = process.hrtime.bigint();
  const run = spawnSync(peer.command, peer.args(file), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallSeconds = Number(process.hrtime.bigint() - wall0) / 1e9;
  const cpuSeconds = childrenCpuSeconds() - cpu0;
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing
      ? `${peer.command} not found: scripts/install-deps.sh installs it (Debian package ${peer.debianPackage})`
      : `${peer.command}: ${run.error.message}`);
  }
  if (run.status !== 0) {
    throw new Error(`${peer.label.replace('FILE', file)} exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return { name: peer.name, label: peer.label, cpuSeconds, wallSeconds };
}
