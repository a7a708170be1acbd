// The deployed Bro/ELSA config (rsyslog/60-bro.conf), read unchanged: what nsm monitors and what it warns about.

import { expect } from 'chai';
import * as path from 'path';
import { loadAgentConfig } from '../../../agent/config/config-loader';
import { diagnosticLines } from './config-test-helpers';

const SEED = path.join(__dirname, '..', '..', '..', '..', 'rsyslog', '60-bro.conf');
const LOGS = ['conn', 'dns', 'http', 'ssl', 'x509', 'smtp', 'files', 'ssh', 'ftp', 'software', 'known_hosts', 'known_certs', 'notice', 'weird'];
// known_certs.log is tagged bro_known_cert: in the deployed config (singular), and nsm keeps it as written.
const TAG_NAME: Record<string, string> = { known_certs: 'known_cert' };

describe('seed config rsyslog/60-bro.conf', () => {
  const config = loadAgentConfig({ file: SEED, defaultWorkDirectory: '/tmp/unused', checkWorkDirectory: false });

  it('monitors all 14 $InputFileName blocks with their tag, state file, local7.info and poll interval 1', () => {
    expect(config.files.map((f) => f.path)).to.deep.equal(LOGS.map((l) => `/usr/local/bro/logs/current/${l}.log`));
    config.files.forEach((f, i) => {
      const name = TAG_NAME[LOGS[i]] ?? LOGS[i];
      expect(f).to.deep.include({
        tag: `bro_${name}:`, stateFile: `stat-bro_${name}`, facility: 23, severity: 6, pollIntervalSeconds: 1,
        persistStateInterval: 0, maxLinesAtOnce: 0, readMode: 0, reopenOnTruncate: false, freshStartTail: false,
      });
      expect(f.where).to.deep.equal({ file: SEED, line: 8 + 7 * i });
    });
  });

  it('forwards local7.* over plain TCP to 127.0.0.1:514 with the traditional template', () => {
    expect(config.actions).to.deep.equal([{
      selector: [{ facility: 23, severity: '*', comparison: 'at-or-above' }],
      protocol: 'tcp', host: '127.0.0.1', port: 514, framing: 'lf', template: 'RSYSLOG_TraditionalForwardFormat',
      where: { file: SEED, line: 107 },
    }]);
  });

  it('keeps rsyslog globals: work directory, 8096-byte messages, polling mode (legacy $ModLoad)', () => {
    expect(config.workDirectory).to.equal('/var/spool/rsyslog');
    expect(config.maxMessageSize).to.equal(8096);
    expect(config.watchMode).to.equal('polling');
    expect(config.sources).to.deep.equal([SEED]);
  });

  it('warns exactly twice per block: the misspelled poll directive and the missing $InputRunFileMonitor', () => {
    const expected: string[] = [];
    LOGS.forEach((l, i) => {
      const nameLine = 8 + 7 * i;
      expected.push(`${SEED}:${nameLine}: warning: $InputFileName /usr/local/bro/logs/current/${l}.log is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway`);
      expected.push(`${SEED}:${nameLine + 5}: warning: $InputFilePollingInterval is not an rsyslog directive (rsyslog ignores this line; the name is $InputFilePollInterval); nsm reads it as $InputFilePollInterval`);
    });
    expect(diagnosticLines(config)).to.deep.equal(expected);
  });
});
