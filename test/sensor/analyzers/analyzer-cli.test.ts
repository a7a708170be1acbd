// `nsm sensor --list-analyzers` and `--disable-analyzer NAME` through the real command (bin/nsm): every shipped analyzer
// runs by default, a disabled one writes nothing, an unknown name is one clear line on stderr and a non-zero exit.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SHIPPED_ANALYZERS } from '../../../sensor/analyzers/shipped-analyzers';
import { REPO_ROOT } from '../../helpers/fixture-paths';

const NSM = path.join(REPO_ROOT, 'bin', 'nsm');

function nsm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NSM, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nsm sensor analyzer options', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-analyzer-cli-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('--list-analyzers prints one line per shipped analyzer and exits 0 without reading anything', () => {
    const r = nsm(['sensor', '--list-analyzers']);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => l.split('\t')[0])).to.deep.equal(SHIPPED_ANALYZERS.map((a) => a.name));
    expect(lines).to.include('DNS\tports 53/udp,53/tcp,137/udp,5353/udp,5355/udp\tcontent -\t' + (SHIPPED_ANALYZERS[0].description ?? ''));
    expect(lines).to.include('HTTP\tports 80/tcp,81/tcp,631/tcp,1080/tcp,3128/tcp,8000/tcp,8080/tcp,8888/tcp\tcontent tcp\t' + (SHIPPED_ANALYZERS[1].description ?? ''));
  });

  it('runs DNS by default; --disable-analyzer dns (any case, repeatable) turns it off', () => {
    const pcap = path.join(REPO_ROOT, 'test', 'fixtures', 'pcaps', 'dns-dig-types.pcap');
    const on = nsm(['sensor', '-C', '-r', pcap, '-l', path.join(tmp, 'on'), '--profile', 'zeek']);
    expect(on.status, on.stderr).to.equal(0);
    expect(fs.readdirSync(path.join(tmp, 'on')).sort()).to.deep.equal(['conn.log', 'dns.log']);
    expect(fs.readFileSync(path.join(tmp, 'on', 'conn.log'), 'latin1')).to.match(/\tudp\tdns\t/);
    const off = nsm(['sensor', '-C', '-r', pcap, '-l', path.join(tmp, 'off'), '--profile', 'zeek', '--disable-analyzer', 'dns',
      '--disable-analyzer', 'DNS']);
    expect(off.status, off.stderr).to.equal(0);
    expect(fs.readdirSync(path.join(tmp, 'off'))).to.deep.equal(['conn.log']);
    expect(fs.readFileSync(path.join(tmp, 'off', 'conn.log'), 'latin1')).to.not.match(/\tdns\t/);
  });

  it('an unknown --disable-analyzer name is one line on stderr and a non-zero exit', () => {
    const r = nsm(['sensor', '-r', path.join(REPO_ROOT, 'test', 'fixtures', 'pcaps', 'http-curl.pcap'), '-l', tmp,
      '--disable-analyzer', 'NOSUCH']);
    expect(r.status).to.not.equal(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.match(/--disable-analyzer: unknown analyzer NOSUCH \(shipped: DNS, HTTP\)$/);
    expect(fs.readdirSync(tmp)).to.deep.equal([]);
  });
});
