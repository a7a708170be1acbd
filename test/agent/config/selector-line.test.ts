// Selector lines: selector syntax and matching as rsyslog evaluates it, and the forwarding action forms.

import { expect } from 'chai';
import * as fc from 'fast-check';
import { parseSelectorList, selectorMatches } from '../../../agent/config/syslog-selector';
import { parseConf, problemLines } from './config-test-helpers';

function selectors(text: string) {
  const r = parseSelectorList(text);
  if ('error' in r) throw new Error(r.error);
  return r.selectors;
}

/** Facility/severity pairs a selector list matches, for a few probe facilities. */
function matchedSet(text: string): string[] {
  const s = selectors(text);
  const out: string[] = [];
  for (const f of [2, 4, 23]) for (let sev = 0; sev <= 7; sev++) if (selectorMatches(s, f, sev)) out.push(`${f}.${sev}`);
  return out;
}

describe('selectors', () => {
  it('parses the selector forms rsyslog accepts', () => {
    expect(selectors('local7.*')).to.deep.equal([{ facility: 23, severity: '*', comparison: 'at-or-above' }]);
    expect(selectors('*.*')).to.deep.equal([{ facility: '*', severity: '*', comparison: 'at-or-above' }]);
    expect(selectors('local7.=info')).to.deep.equal([{ facility: 23, severity: 6, comparison: 'exact' }]);
    expect(selectors('local7.!info')).to.deep.equal([{ facility: 23, severity: 6, comparison: 'not' }]);
    expect(selectors('local7.!=info')).to.deep.equal([{ facility: 23, severity: 6, comparison: 'not-exact' }]);
    expect(selectors('mail,local7.info')).to.deep.equal([
      { facility: 2, severity: 6, comparison: 'at-or-above' }, { facility: 23, severity: 6, comparison: 'at-or-above' },
    ]);
    expect(selectors('*.info;mail.none')).to.deep.equal([
      { facility: '*', severity: 6, comparison: 'at-or-above' }, { facility: 2, severity: 'none', comparison: 'at-or-above' },
    ]);
    expect(selectors('LOCAL7.WARN')).to.deep.equal([{ facility: 23, severity: 4, comparison: 'at-or-above' }]);
  });

  it('matches left to right like rsyslog: later parts add or remove severities', () => {
    expect(matchedSet('local7.info')).to.deep.equal(['23.0', '23.1', '23.2', '23.3', '23.4', '23.5', '23.6']);
    expect(matchedSet('local7.=info')).to.deep.equal(['23.6']);
    expect(matchedSet('local7.!info')).to.deep.equal([]);
    expect(matchedSet('local7.*;local7.!info')).to.deep.equal(['23.7']);
    expect(matchedSet('local7.*;local7.!=info')).to.deep.equal(['23.0', '23.1', '23.2', '23.3', '23.4', '23.5', '23.7']);
    expect(matchedSet('*.err;mail.none')).to.deep.equal(['4.0', '4.1', '4.2', '4.3', '23.0', '23.1', '23.2', '23.3']);
  });

  it('any facility.severity pair matches `*.*`, and `F.S` exactly when severity <= S (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), (f, sev, threshold) => {
      expect(selectorMatches(selectors('*.*'), f, sev)).to.equal(true);
      expect(selectorMatches([{ facility: f, severity: threshold, comparison: 'at-or-above' }], f, sev)).to.equal(sev <= threshold);
      expect(selectorMatches([{ facility: f, severity: '*', comparison: 'at-or-above' }, { facility: f, severity: 'none', comparison: 'at-or-above' }], f, sev)).to.equal(false);
    }));
  });

  it('reports malformed selectors with file:line', () => {
    expect(problemLines(parseConf('local8.* @h\nlocal7.loud @h\nlocal7 @h\nlocal7.!* @h\n'))).to.deep.equal([
      "t.conf:1: error: selector 'local8.*': unknown facility 'local8'",
      "t.conf:2: error: selector 'local7.loud': unknown severity 'loud'",
      "t.conf:3: error: unrecognised statement 'local7' (expected $Directive, FACILITY.SEVERITY action, :property filter, if, or name(...))",
      "t.conf:4: error: selector 'local7.!*': '*' cannot take a '=' or '!' prefix",
    ]);
  });
});

describe('forwarding actions on selector lines', () => {
  it('UDP, TCP, octet-counted TCP, IPv6 in brackets, default port 514, templates', () => {
    const c = parseConf(`local7.* @10.1.1.1
local7.* @@collector.example:10514
local7.* @@(o)[::1]:6514;RSYSLOG_SyslogProtocol23Format
*.info;mail.none @[fe80::1];RSYSLOG_ForwardFormat
& @@127.0.0.2 # a second action for the same selector
local7.* :omrelp:127.0.0.1:2514
`);
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.actions.map((a) => [a.protocol, a.host, a.port, a.framing, a.template, a.where.line])).to.deep.equal([
      ['udp', '10.1.1.1', 514, 'lf', 'RSYSLOG_TraditionalForwardFormat', 1],
      ['tcp', 'collector.example', 10514, 'lf', 'RSYSLOG_TraditionalForwardFormat', 2],
      ['tcp', '::1', 6514, 'octet-counted', 'RSYSLOG_SyslogProtocol23Format', 3],
      ['udp', 'fe80::1', 514, 'lf', 'RSYSLOG_ForwardFormat', 4],
      ['tcp', '127.0.0.2', 514, 'lf', 'RSYSLOG_TraditionalForwardFormat', 5],
      ['relp', '127.0.0.1', 2514, 'lf', 'RSYSLOG_ForwardFormat', 6],
    ]);
    expect(c.actions[4].selector).to.deep.equal(c.actions[3].selector);
  });

  it('reports bad ports, hosts, templates and options; warns about actions nsm does not run', () => {
    const c = parseConf(`local7.* @@127.0.0.1:70000
local7.* @@127.0.0.1:
local7.* @::1:514
local7.* @@127.0.0.1;MyTemplate
local7.* @@127.0.0.1;rsyslog_forwardformat
local7.* @@(x)127.0.0.1
local7.* /var/log/local7.log
& @@127.0.0.9
local7.* @@(z9)h
`);
    expect(problemLines(c)).to.deep.equal([
      "t.conf:1: error: '@@127.0.0.1:70000': bad port '70000' (must be 1..65535)",
      "t.conf:2: error: '@@127.0.0.1:': bad port '' (must be 1..65535)",
      "t.conf:3: error: '@::1:514': an IPv6 address must be written in brackets, e.g. [::1]:514",
      "t.conf:4: error: unknown template 'MyTemplate' (nsm knows RSYSLOG_TraditionalForwardFormat, RSYSLOG_ForwardFormat, RSYSLOG_SyslogProtocol23Format)",
      "t.conf:5: error: unknown template 'rsyslog_forwardformat' (template names are case-sensitive: did you mean RSYSLOG_ForwardFormat?)",
      "t.conf:6: error: '@@(x)127.0.0.1': unknown forwarding option 'x' (known: o, z0..z9)",
      "t.conf:7: warning: action '/var/log/local7.log' (write to file /var/log/local7.log) is not part of nsm, which only forwards: ignored",
      "t.conf:9: warning: '@@(z9)h': compression option (z9) is not supported by nsm; messages are sent uncompressed",
    ]);
    expect(c.actions.map((a) => `${a.host}:${a.port}`)).to.deep.equal(['127.0.0.9:514', 'h:514']);
    expect(problemLines(parseConf('& @@h\n'))).to.deep.equal(["t.conf:1: error: '&' continues the previous selector or filter line, but there is none before it"]);
  });
});
