// StateStore: checkpoints survive a round trip; a missing state file is silent; an empty, torn, garbage or
// unreadable one is reported (naming the file and the safe position) and never throws.

import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLogger, MemorySink } from '../../../src/core/logger';
import { StateStore, type FileCheckpoint } from '../../../agent/state/state-store';

describe('StateStore', () => {
  let dir: string;
  let sink: MemorySink;
  let store: StateStore;
  const checkpoint: FileCheckpoint = {
    path: '/nsm/logs/current/conn.log',
    identity: { dev: 2049, ino: 131077, fingerprint: 'ab'.repeat(32), headLength: 256, headDigest: 'ab'.repeat(32), bornNs: '1795447360021065351' },
    offset: 123456,
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-state-'));
    sink = new MemorySink();
    store = new StateStore(dir, createLogger('state', sink, 'debug'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips a checkpoint, relative to the work directory or absolute, and leaves no temp file', () => {
    store.save('imfile-state:conn', checkpoint);
    expect(store.load('imfile-state:conn')).to.deep.equal(checkpoint);
    const absolute = path.join(dir, 'abs.state');
    store.save(absolute, { ...checkpoint, offset: 7 });
    expect(store.load(absolute)?.offset).to.equal(7);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['abs.state', 'imfile-state:conn']);
    expect(sink.lines).to.deep.equal([]);
  });

  it('saveAsync writes the same format atomically', async () => {
    await store.saveAsync('async.state', checkpoint);
    expect(store.load('async.state')).to.deep.equal(checkpoint);
    expect(fs.readdirSync(dir)).to.deep.equal(['async.state']);
  });

  it('writes the birth time as decimal digits (exact to the ns, beyond 2^53) and keeps version 1', () => {
    store.save('born.state', checkpoint);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'born.state'), 'utf8')) as Record<string, unknown>;
    expect(record).to.include({ version: 1, bornNs: '1795447360021065351', offset: 123456 });
  });

  it('loads a state file written before bornNs existed, without it and without a warning', () => {
    const old = { version: 1, path: '/x/conn.log', dev: 1, ino: 2, fingerprint: '', headLength: 3, headDigest: 'cd', offset: 3 };
    fs.writeFileSync(path.join(dir, 'old.state'), JSON.stringify(old) + '\n');
    const loaded = store.load('old.state');
    expect(loaded).to.deep.equal({ path: '/x/conn.log', identity: { dev: 1, ino: 2, fingerprint: '', headLength: 3, headDigest: 'cd' }, offset: 3 });
    expect(loaded!.identity).to.not.have.property('bornNs');
    expect(sink.lines).to.deep.equal([]);
    // And a checkpoint without a birth time is written without the field (not as null).
    store.save('no-born.state', loaded!);
    expect(fs.readFileSync(path.join(dir, 'no-born.state'), 'utf8')).to.not.contain('bornNs');
  });

  it('returns undefined without a warning for a missing state file', () => {
    expect(store.load('never-written')).to.equal(undefined);
    expect(sink.lines).to.deep.equal([]);
  });

  const damaged: Array<[string, string | Buffer]> = [
    ['empty', ''],
    ['torn', JSON.stringify({ version: 1, path: '/x', dev: 1, ino: 2, fingerprint: '', offset: 99 }).slice(0, 30)],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['negative offset', JSON.stringify({ version: 1, path: '/x', dev: 1, ino: 2, fingerprint: '', offset: -5 })],
    ['wrong version', JSON.stringify({ version: 9, path: '/x', dev: 1, ino: 2, fingerprint: '', offset: 5 })],
    ['array', '[1,2,3]'],
    ['bornNs as a number', JSON.stringify({ version: 1, path: '/x', dev: 1, ino: 2, fingerprint: '', offset: 5, bornNs: 17 })],
    ['bornNs not digits', JSON.stringify({ version: 1, path: '/x', dev: 1, ino: 2, fingerprint: '', offset: 5, bornNs: '-17' })],
  ];
  for (const [what, content] of damaged) {
    it(`reports a damaged state file (${what}), naming it and the safe position, and returns undefined`, () => {
      fs.writeFileSync(path.join(dir, 'bad'), content);
      expect(store.load('bad')).to.equal(undefined);
      expect(sink.lines).to.have.length(1);
      expect(sink.lines[0]).to.contain('WARN').and.contain(path.join(dir, 'bad')).and.contain('from offset 0');
    });
  }

  it('never quotes the bytes of the file it was pointed to in the corrupt-state warning', () => {
    // A state path pointed (by a planted link, or a config) at a secret: the warning names the file, not its content.
    const secret = 'root:$6$secrethash:19000:0:99999:7:::\n';
    const shadow = path.join(dir, 'shadow');
    fs.writeFileSync(shadow, secret);
    fs.symlinkSync(shadow, path.join(dir, 'pointed'));
    fs.writeFileSync(path.join(dir, 'json-token'), JSON.stringify({ version: 'hunter2-token' }));
    expect(store.load('pointed')).to.equal(undefined);
    expect(store.load('json-token')).to.equal(undefined);
    expect(sink.lines).to.have.length(2);
    for (const line of sink.lines) expect(line).to.not.match(/root:|secrethash|hunter2/);
    expect(sink.lines[0]).to.contain('not JSON');
  });

  it('reports an unreadable state file (a directory) without throwing', () => {
    fs.mkdirSync(path.join(dir, 'is-a-dir'));
    expect(store.load('is-a-dir')).to.equal(undefined);
    expect(sink.lines[0]).to.contain('cannot read state file').and.contain('EISDIR');
  });

  it('never throws and never returns an invalid checkpoint, whatever bytes the file holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), fc.json().map((j) => Buffer.from(j))), (bytes) => {
        fs.writeFileSync(path.join(dir, 'fuzz'), bytes);
        const got = store.load('fuzz');
        if (got !== undefined) {
          expect(Number.isSafeInteger(got.offset) && got.offset >= 0).to.equal(true);
          expect(typeof got.identity.fingerprint).to.equal('string');
          if (got.identity.bornNs !== undefined) expect(BigInt(got.identity.bornNs) >= 0n).to.equal(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
