// Where the nsm home is (--home, NSM_HOME, /usr/local/nsm) and which control file of it is read.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_NSM_HOME, homePaths, resolveHome } from '../../src/control/nsm-home';

describe('nsm home', () => {
  it('is --home, else NSM_HOME, else /usr/local/nsm; relative paths made absolute', () => {
    expect(resolveHome('/opt/a', { NSM_HOME: '/opt/b' })).to.equal('/opt/a');
    expect(resolveHome(undefined, { NSM_HOME: '/opt/b' })).to.equal('/opt/b');
    expect(resolveHome(undefined, { NSM_HOME: '' })).to.equal(DEFAULT_NSM_HOME);
    expect(resolveHome(undefined, {})).to.equal('/usr/local/nsm');
    expect(resolveHome('rel', {})).to.equal(path.resolve('rel'));
  });

  it('reads nsmctl.cfg, else broctl.cfg, else zeekctl.cfg; the ones not read are listed', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nsm-home-paths-'));
    try {
      const etc = path.join(home, 'etc');
      fs.mkdirSync(etc);
      expect(homePaths(home).ctlCfg).to.equal(undefined);
      fs.writeFileSync(path.join(etc, 'zeekctl.cfg'), '');
      expect(homePaths(home).ctlCfg).to.equal(path.join(etc, 'zeekctl.cfg'));
      fs.writeFileSync(path.join(etc, 'broctl.cfg'), '');
      expect(homePaths(home)).to.include({ ctlCfg: path.join(etc, 'broctl.cfg') });
      fs.writeFileSync(path.join(etc, 'nsmctl.cfg'), '');
      const p = homePaths(home);
      expect(p.ctlCfg).to.equal(path.join(etc, 'nsmctl.cfg'));
      expect(p.shadowedCtlCfgs).to.deep.equal([path.join(etc, 'broctl.cfg'), path.join(etc, 'zeekctl.cfg')]);
      expect(p.nodeCfg).to.equal(path.join(etc, 'node.cfg'));
      expect(p.rsyslogDir).to.equal(path.join(etc, 'rsyslog.d'));
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
