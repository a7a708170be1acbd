// LogWriterSet on a real directory: files appear on the first row only, rows reach disk on flush as whole lines,
// #close ends the file, an earlier run's file is kept aside, profiles choose the columns.

import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connLog } from '../../../sensor/logs/conn-log';
import { LogWriterSet } from '../../../sensor/logs/log-writer-set';
import { weirdLog } from '../../../sensor/logs/weird-log';
import { connRecordFromRow } from './baseline-records';
import { readZeekLog } from './zeek-log-reader';
import { ZEEK_CASES_DIR } from '../../helpers/fixture-paths';

const baseline = readZeekLog(path.join(ZEEK_CASES_DIR, 'core-q-in-q', 'expected-conn.log'));
const conn = connRecordFromRow(baseline.rows[0]);
const clock = (): Date => new Date(2024, 4, 6, 7, 8, 9);

describe('LogWriterSet', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-logs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens a log on its first row only, flushes whole lines, and closes with #close', () => {
    const set = new LogWriterSet({ dir: path.join(dir, 'current'), profile: 'zeek', format: 'ascii', clock });
    expect(fs.readdirSync(path.join(dir, 'current'))).to.deep.equal([]);
    set.write(connLog, conn);
    set.flush();
    const mid = fs.readFileSync(path.join(dir, 'current', 'conn.log'), 'latin1');
    expect(mid.endsWith('\n')).to.equal(true);
    expect(mid.split('\n').filter((l) => !l.startsWith('#') && l !== '')).to.have.length(1);
    expect(mid).to.not.include('#close');
    set.close();
    const text = fs.readFileSync(path.join(dir, 'current', 'conn.log'), 'latin1');
    expect(text.trimEnd().split('\n').pop()).to.equal('#close\t2024-05-06-07-08-09');
    expect(fs.existsSync(path.join(dir, 'current', 'weird.log'))).to.equal(false);
    expect(set.stats()).to.deep.equal([{ file: path.join(dir, 'current', 'conn.log'), rows: 1 }]);
  });

  it('writes the elsa profile by column list, json as one object per line', () => {
    const elsa = new LogWriterSet({ dir, profile: 'elsa', format: 'ascii', clock });
    elsa.write(connLog, conn);
    elsa.write(weirdLog, { tsSec: 1, tsUsec: 2, name: 'x', notice: false, peer: 'zeek', source: 'IP' });
    elsa.close();
    const t = readZeekLog(path.join(dir, 'conn.log'));
    expect(t.fields).to.have.length(19);
    expect(t.fields).to.not.include('local_resp');
    expect(t.lines[0].split('\t')).to.have.length(19);
    const w = readZeekLog(path.join(dir, 'weird.log'));
    expect(w.fields).to.deep.equal(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'name', 'addl', 'notice', 'peer']);
    expect(w.lines[0]).to.equal('1.000002\t-\t-\t-\t-\t-\tx\t-\tF\tzeek');

    const jdir = path.join(dir, 'json');
    const json = new LogWriterSet({ dir: jdir, profile: 'zeek', format: 'json', clock });
    json.write(connLog, conn);
    json.write(connLog, conn);
    json.close();
    const lines = fs.readFileSync(path.join(jdir, 'conn.log'), 'utf8').trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect((JSON.parse(lines[1]) as { uid: string }).uid).to.equal(conn.uid);
  });

  it("keeps an earlier run's file by renaming it aside", () => {
    fs.writeFileSync(path.join(dir, 'conn.log'), 'old rows\n');
    const set = new LogWriterSet({ dir, profile: 'zeek', format: 'ascii', clock });
    set.write(connLog, conn);
    set.close();
    const names = fs.readdirSync(dir).sort();
    expect(names).to.have.length(2);
    const aside = names.find((n) => n !== 'conn.log') as string;
    expect(aside).to.match(/^conn\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.log$/);
    expect(fs.readFileSync(path.join(dir, aside), 'utf8')).to.equal('old rows\n');
  });

  it('reports an unusable log directory as one clear error', () => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, '');
    expect(() => new LogWriterSet({ dir: path.join(file, 'sub'), profile: 'zeek', format: 'ascii' })).to.throw(
      /not-a-dir\/sub: cannot create log directory: ENOTDIR/,
    );
  });
});
