// RainerScript objects: module/input/action/global/include parameters, multi-line line numbers, comments,
// unsupported statements; and real `rsyslogd -N1` accepting the configs nsm accepts.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadAgentConfig } from '../../../agent/config/config-loader';
import { makeTempDir, parseConf, problemLines } from './config-test-helpers';

function rsyslogValidates(dir: string, text: string): { status: number | null; output: string } {
  const file = path.join(dir, 'rsyslog-check.conf');
  fs.writeFileSync(file, text);
  const r = spawnSync('rsyslogd', ['-N1', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error; // rsyslogd missing must fail the test, not skip it
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('RainerScript', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('rainer');
    fs.writeFileSync(path.join(dir, 'ca.pem'), '');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const validConfig = (d: string): string => `global(workDirectory="${d}" maxMessageSize="64k"
       DefaultNetstreamDriverCAFile="${d}/ca.pem")
module(load="imfile" mode="polling" PollingInterval="2")
/* a block comment
   over two lines */
input(type="imfile"
      File="/var/log/x.log"   # a comment inside the statement
      Tag="x:" Severity="info" Facility="local7"
      PersistStateInterval="100" reopenOnTruncate="on" freshStartTail="off"
      MaxLinesAtOnce="50" ReadMode="0")
input(type="imfile" file="/var/log/y.log" tag="y:")
action(type="omfwd" target="127.0.0.1" port="10514" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
local7.* action(type="omfwd" Target="::1" Port="6514" Protocol="tcp" StreamDriver="gtls"
       StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="elsa.example")
action(type="omfwd" target="10.0.0.1" queue.size="20000" queue.type="LinkedList")
`;

  it('reads a full config: every parameter, case-insensitive names, the line where each statement starts', () => {
    const c = loadAgentConfig({ file: (fs.writeFileSync(path.join(dir, 'n.conf'), validConfig(dir)), path.join(dir, 'n.conf')), defaultWorkDirectory: '/x' });
    const f = path.join(dir, 'n.conf');
    expect(c.diagnostics.map((d) => `${d.line}: ${d.severity}: ${d.message}`)).to.deep.equal([
      '16: warning: action(type="omfwd"): queue.type has no effect in nsm (the agent always keeps a memory queue that spills to disk in the work directory): ignored',
    ]);
    expect(c).to.deep.include({ workDirectory: dir, maxMessageSize: 65536, watchMode: 'polling' });
    expect(c.queue.memoryMessages).to.equal(20000);
    expect(c.files).to.deep.equal([
      { path: '/var/log/x.log', tag: 'x:', stateFile: 'imfile-state:-var-log-x.log', facility: 23, severity: 6, persistStateInterval: 100, maxLinesAtOnce: 50,
        readMode: 0, reopenOnTruncate: true, freshStartTail: false, pollIntervalSeconds: 2, where: { file: f, line: 6 } },
      { path: '/var/log/y.log', tag: 'y:', stateFile: 'imfile-state:-var-log-y.log', facility: 16, severity: 5, persistStateInterval: 0,
        maxLinesAtOnce: 0, readMode: 0, reopenOnTruncate: false, freshStartTail: false, pollIntervalSeconds: 2, where: { file: f, line: 11 } },
    ]);
    expect(c.actions.map((a) => [a.protocol, a.host, a.port, a.framing, a.template, a.where.line])).to.deep.equal([
      ['tcp', '127.0.0.1', 10514, 'octet-counted', 'RSYSLOG_SyslogProtocol23Format', 12],
      ['tls', '::1', 6514, 'lf', 'RSYSLOG_TraditionalForwardFormat', 14],
      ['udp', '10.0.0.1', 514, 'lf', 'RSYSLOG_TraditionalForwardFormat', 16],
    ]);
    expect(c.actions[0].selector).to.deep.equal([{ facility: '*', severity: '*', comparison: 'at-or-above' }]);
    expect(c.actions[1].selector).to.deep.equal([{ facility: 23, severity: '*', comparison: 'at-or-above' }]);
    expect(c.actions[1].tls).to.deep.equal({ caFile: `${dir}/ca.pem`, certFile: undefined, keyFile: undefined, verifyPeer: true, permittedPeers: ['elsa.example'] });
  });

  it('real rsyslogd -N1 accepts the same config (the accepted syntax is rsyslog syntax)', () => {
    const r = rsyslogValidates(dir, validConfig(dir));
    expect(r.output).to.contain('End of config validation run');
    expect(r.output).not.to.match(/error/i);
    expect(r.status).to.equal(0);
  });

  it('real rsyslogd -N1 rejects what nsm rejects: unquoted values and unknown parameters', () => {
    const unquoted = 'module(load="imfile")\ninput(type="imfile" File="/a.log" Tag="a:" MaxLinesAtOnce=5)\n';
    expect(rsyslogValidates(dir, unquoted).status).to.equal(1);
    expect(problemLines(parseConf(unquoted))).to.deep.equal([
      't.conf:2: error: input(): the value of MaxLinesAtOnce must be in double quotes, e.g. MaxLinesAtOnce="..."',
    ]);
    const unknown = 'module(load="imfile")\ninput(type="imfile" File="/a.log" Tag="a:"\n  bogus="1")\n';
    expect(rsyslogValidates(dir, unknown).output).to.contain("parameter 'bogus' not known");
    expect(problemLines(parseConf(unknown))).to.deep.equal(['t.conf:3: error: input(type="imfile"): unknown parameter bogus']);
  });

  it('StateFile= names the state file (rsyslog 8.2302 calls it deprecated and -N1 then exits 1)', () => {
    const c = parseConf('module(load="imfile")\ninput(type="imfile" File="/a.log" Tag="a:" StateFile="stat-a")\nlocal7.* @@h\n');
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.files[0].stateFile).to.equal('stat-a');
  });

  it('module(load="imfile") defaults to inotify mode; mode="polling" switches', () => {
    expect(parseConf('module(load="imfile")\n').watchMode).to.equal('inotify');
    expect(parseConf('module(load="imfile" mode="polling")\n').watchMode).to.equal('polling');
    expect(problemLines(parseConf('module(load="imfile" mode="fen" PollingInterval="x")\nmodule()\n'))).to.deep.equal([
      't.conf:1: error: module(): mode="fen" is not one of inotify, polling',
      't.conf:1: error: module(): PollingInterval="x" is not a number of seconds',
      't.conf:2: error: module(): load= is required (the module to load)',
    ]);
  });

  it('reports missing and malformed parameters at the line of the parameter', () => {
    const c = parseConf(`module(load="imfile")
input(type="imfile"
      Tag="a:")
input(type="imfile" File="relative.log" Tag="r:")
input(type="imfile" File="/b.log"
      Severity="loud"
      Facility="local9" Ruleset="r1")
action(type="omfwd"
       target="h" port="0" protocol="sctp" template="Custom")
action(type="omfwd" port="514")
action(type="omfwd" target="h" protocol="udp" StreamDriverMode="1" StreamDriver="gtls")
action(type="omfile" file="/var/log/x")
action(type="omrelp" target="r" port="2514" tls="on" tls.cacert="/ca.pem" tls.authmode="name" tls.permittedpeer=["a","b"])
global(workDirectory="rel" frobnicate="1")
`);
    expect(problemLines(c)).to.deep.equal([
      't.conf:2: error: input(type="imfile"): file= is required (the absolute path of the file to monitor)',
      't.conf:4: error: input(type="imfile"): File="relative.log" must be an absolute path',
      't.conf:5: warning: input(type="imfile" File="/b.log") has no Tag= (rsyslog requires one); nsm sends its lines with an empty tag',
      't.conf:6: error: input(type="imfile"): Severity="loud" is not a severity (emerg..debug or 0..7)',
      't.conf:7: error: input(type="imfile"): Facility="local9" is not a facility (kern..local7 or 0..23)',
      't.conf:7: error: input(type="imfile"): Ruleset is not supported yet',
      't.conf:9: error: action(type="omfwd"): port="0" is not a port 1..65535',
      't.conf:9: error: action(type="omfwd"): protocol="sctp" is not one of udp, tcp',
      "t.conf:9: error: action(type=\"omfwd\"): unknown template 'Custom' (nsm knows RSYSLOG_TraditionalForwardFormat, RSYSLOG_ForwardFormat, RSYSLOG_SyslogProtocol23Format)",
      't.conf:10: error: action(type="omfwd"): target= is required (the collector host name or address)',
      't.conf:11: error: action(type="omfwd"): StreamDriverMode="1" (TLS) needs protocol="tcp"',
      "t.conf:12: warning: action type 'omfile' is not part of nsm (it forwards with omfwd or omrelp only): ignored",
      't.conf:14: error: global(): workDirectory="rel" must be an absolute path',
      't.conf:14: error: global(): unknown parameter frobnicate',
    ]);
    expect(c.actions).to.have.length(1);
    expect(c.actions[0]).to.deep.include({ protocol: 'relp', host: 'r', port: 2514, template: 'RSYSLOG_ForwardFormat' });
    expect(c.actions[0].tls).to.deep.equal({ caFile: '/ca.pem', certFile: undefined, keyFile: undefined, verifyPeer: true, permittedPeers: ['a', 'b'] });
  });

  it('reads if/then/else, property filters and stop; reports rulesets and other unsupported statements as errors, and carries on after them', () => {
    const c = parseConf(`module(load="imfile")
if $programname == 'bro' then {
  action(type="omfwd" target="h1")
} else action(type="omfwd" target="h2")
ruleset(name="r") {
  action(type="omfwd" target="h3")
}
:msg, contains, "x" @@h4
stop
template(name="t" type="string" string="%msg%")
input(type="imfile" File="/a.log" Tag="a:")
local7.* @@h5
`);
    expect(problemLines(c)).to.deep.equal([
      't.conf:5: error: ruleset() blocks are not supported yet: the ruleset and its actions are ignored',
      't.conf:10: warning: template() has no effect in nsm (custom templates are not supported; an action that names one is an error): ignored',
    ]);
    expect(c.files.map((f) => f.path)).to.deep.equal(['/a.log']);
    expect(c.actions.map((a) => a.host)).to.deep.equal(['h1', 'h2', 'h4', 'h5']);
    expect(c.rules?.map((r) => r.kind)).to.deep.equal(['if', 'if', 'stop', 'if']);
  });

  it('reports syntax errors at the line where the statement or parameter starts', () => {
    expect(problemLines(parseConf('input(type="imfile"\n  File="/a.log\n'))).to.deep.equal(['t.conf:2: error: unterminated string: missing closing "']);
    expect(problemLines(parseConf('\ninput(type="imfile"\n  File="/a.log"\n'))).to.deep.equal(['t.conf:2: error: input(: missing \')\' (the statement starts here)']);
    expect(problemLines(parseConf('global(\n  workDirectory "/x")\nlocal7.* @@h\n'))).to.deep.equal([
      't.conf:2: error: global(): parameter workDirectory must be followed by = and a value in double quotes',
    ]);
    expect(problemLines(parseConf('/* never closed\nlocal7.* @@h\n'))).to.deep.equal(['t.conf:1: error: unterminated /* comment']);
    expect(problemLines(parseConf('frob(x="1")\nhello world\n'))).to.deep.equal([
      't.conf:1: error: unknown statement frob(...)',
      "t.conf:2: error: unrecognised statement 'hello' (expected $Directive, FACILITY.SEVERITY action, :property filter, if, or name(...))",
    ]);
  });

  it('duplicate monitored paths and shared state files are errors', () => {
    expect(problemLines(parseConf(`module(load="imfile")
input(type="imfile" File="/a.log" Tag="a:" StateFile="s")
input(type="imfile" File="/a.log" Tag="b:")
input(type="imfile" File="/c.log" Tag="c:" StateFile="s")
local7.* @@h
`))).to.deep.equal([
      't.conf:3: error: /a.log is already monitored (t.conf:2): every line would be sent twice',
      "t.conf:4: error: state file 's' is already used for /a.log (t.conf:2): the two files would overwrite each other's position",
    ]);
  });
});
