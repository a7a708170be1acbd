// Both watch back-ends wake a waiting tailer for each kind of change it must notice (append, rename away, create,
// a re-pointed symlinked directory), honour the timeout, and return at once on abort or close.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createWatchBackend, type WatchBackend } from '../../../agent/watch/watch-backend';

/** Far longer than any event takes to arrive, far shorter than mocha's 60 s: reaching it means "no wake-up". */
const NO_EVENT_MS = 15000;

/** Resolves 'woke' if the wait ends first, 'guard' if the guard does. Clears the guard timer either way. */
async function wokeBeforeGuard(wait: Promise<void>, guardMs = NO_EVENT_MS - 5000): Promise<'woke' | 'guard'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'guard'>((r) => (timer = setTimeout(() => r('guard'), guardMs)));
  try {
    return await Promise.race([wait.then(() => 'woke' as const), guard]);
  } finally {
    clearTimeout(timer);
  }
}

for (const mode of ['inotify', 'polling'] as const) {
  describe(`WatchBackend (${mode})`, () => {
    let dir: string;
    let watch: WatchBackend;
    // inotify: the safety poll must not be what wakes us, so it is long; polling: the poll is the mechanism.
    const pollMs = mode === 'inotify' ? 60000 : 20;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `nsm-watch-${mode}-`));
      watch = createWatchBackend(mode, pollMs);
    });
    afterEach(() => {
      watch.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** First call reports "may have changed" at once (nothing seen yet); this primes the back-end. */
    async function prime(file: string): Promise<void> {
      await watch.waitForChange(file, NO_EVENT_MS);
    }

    const changes: Array<[string, (file: string) => void]> = [
      ['an append', (file) => fs.appendFileSync(file, 'more\n')],
      ['a rename away', (file) => fs.renameSync(file, file + '.1')],
      ['a delete', (file) => fs.unlinkSync(file)],
    ];
    for (const [what, change] of changes) {
      it(`wakes on ${what}`, async () => {
        const file = path.join(dir, 'a.log');
        fs.writeFileSync(file, 'x\n');
        await prime(file);
        const wait = watch.waitForChange(file, NO_EVENT_MS);
        setTimeout(() => change(file), 30);
        expect(await wokeBeforeGuard(wait)).to.equal('woke');
      });
    }

    it('wakes when a missing file is created', async () => {
      const file = path.join(dir, 'late.log');
      await prime(file);
      const wait = watch.waitForChange(file, NO_EVENT_MS);
      setTimeout(() => fs.writeFileSync(file, 'x\n'), 30);
      expect(await wokeBeforeGuard(wait)).to.equal('woke');
    });

    it('wakes when a symlinked parent directory is re-pointed', async () => {
      fs.mkdirSync(path.join(dir, 's1'));
      fs.mkdirSync(path.join(dir, 's2'));
      fs.writeFileSync(path.join(dir, 's1', 'conn.log'), 'a\n');
      fs.writeFileSync(path.join(dir, 's2', 'conn.log'), 'b\n');
      fs.symlinkSync('s1', path.join(dir, 'current'));
      const file = path.join(dir, 'current', 'conn.log');
      await prime(file);
      const wait = watch.waitForChange(file, NO_EVENT_MS);
      setTimeout(() => {
        fs.symlinkSync('s2', path.join(dir, 'current.tmp'));
        fs.renameSync(path.join(dir, 'current.tmp'), path.join(dir, 'current'));
      }, 30);
      expect(await wokeBeforeGuard(wait)).to.equal('woke');
    });

    it('does not wake without a change until the timeout, and returns at once on abort and on close', async () => {
      const file = path.join(dir, 'quiet.log');
      fs.writeFileSync(file, 'x\n');
      await prime(file);
      // Quiet for a second: a back-end that woke without cause would be seen here.
      expect(await wokeBeforeGuard(watch.waitForChange(file, NO_EVENT_MS), 1000)).to.equal('guard');
      await watch.waitForChange(file, 10); // the timeout alone ends this wait
      const controller = new AbortController();
      const aborted = watch.waitForChange(file, NO_EVENT_MS, controller.signal);
      controller.abort();
      expect(await wokeBeforeGuard(aborted)).to.equal('woke');
      const closing = watch.waitForChange(file, NO_EVENT_MS);
      watch.close();
      expect(await wokeBeforeGuard(closing)).to.equal('woke');
    });
  });
}
