// A small tmpfs mounted by a test to run a directory out of space for real (the tests run as root, as CI does).

import { execFileSync } from 'child_process';

/**
 * Mounts a tmpfs of `size` (mount's syntax: 64k, 512k) at `where`, mode 0700 like a directory mkdtemp makes (a
 * tmpfs root is 1777 by default, which the agent rightly refuses as a work directory). Fails loudly where it
 * cannot mount (not root, no CAP_SYS_ADMIN): the test needs it, so it must not pass without it. Unmount with umount.
 */
export function mountSmallTmpfs(where: string, size: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', where], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`cannot mount a ${size} tmpfs at ${where} (this test needs root to fill a disk for real): ${(err as Error).message}`);
  }
}
