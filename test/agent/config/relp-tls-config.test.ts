// RELP over TLS from the config: omrelp tls="on" (rsyslog syntax) and tls settings on a JSON relp action reach the
// action and make the transport speak TLS; tls="on" without tls.authMode says that nsm verifies where rsyslog would not.

import { expect } from 'chai';
import { parseJsonAgentConfigText } from '../../../agent/config/json-config';
import { createTransport } from '../../../agent/transport/create-transport';
import { silentLogger } from '../../../src/core/logger';
import { parseConf, problemLines } from './config-test-helpers';

describe('RELP over TLS in the config', () => {
  it('omrelp tls="on" with certificates and a permitted peer gives a relp+tls transport that verifies', () => {
    const c = parseConf([
      'action(type="omrelp" target="collector.test" port="2514" tls="on" tls.authMode="name"',
      '       tls.caCert="/etc/nsm/ca.pem" tls.myCert="/etc/nsm/agent.pem" tls.myPrivKey="/etc/nsm/agent.key"',
      '       tls.permittedPeer=["collector.test"])',
      '',
    ].join('\n'));
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.actions[0].tls).to.deep.equal({
      caFile: '/etc/nsm/ca.pem', certFile: '/etc/nsm/agent.pem', keyFile: '/etc/nsm/agent.key', verifyPeer: true, permittedPeers: ['collector.test'],
    });
    const t = createTransport(c.actions[0], silentLogger);
    expect(t.name).to.equal('relp+tls://collector.test:2514');
  });

  it('omrelp without tls stays plain RELP', () => {
    const c = parseConf('action(type="omrelp" target="127.0.0.1" port="2514")\n');
    expect(c.actions[0].tls).to.equal(undefined);
    expect(createTransport(c.actions[0], silentLogger).name).to.equal('relp://127.0.0.1:2514');
  });

  it('tls="on" without tls.authMode is a warning at its line: nsm checks the collector, rsyslog would not', () => {
    const c = parseConf('action(type="omrelp" target="h" tls="on" tls.caCert="/ca.pem")\n');
    expect(problemLines(c)).to.deep.equal([
      't.conf:1: warning: action(type="omrelp"): tls="on" without tls.authMode: rsyslog would encrypt without checking the ' +
        'collector; nsm verifies its certificate (against tls.caCert, else the system CAs)',
    ]);
    expect(c.actions[0].tls?.verifyPeer).to.equal(true);
  });

  it('a JSON relp action with tls settings gives a relp+tls transport', () => {
    const c = parseJsonAgentConfigText(JSON.stringify({
      files: [{ path: '/var/log/a.log', tag: 'a:' }],
      actions: [{ selector: '*.*', protocol: 'relp', host: '127.0.0.1', port: 2514, tls: { caFile: '/ca.pem' } }],
    }), 't.json', { defaultWorkDirectory: '/nonexistent/agent-default', checkWorkDirectory: false });
    expect(c.actions).to.have.length(1);
    expect(c.actions[0].tls?.caFile).to.equal('/ca.pem');
    expect(createTransport(c.actions[0], silentLogger).name).to.equal('relp+tls://127.0.0.1:2514');
  });
});
