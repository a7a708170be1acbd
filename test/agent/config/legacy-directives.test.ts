// Legacy `$Directive value` lines: every supported directive, block commit rules, and exact error texts.

import { expect } from 'chai';
import { IMFILE, parseConf, problemLines } from './config-test-helpers';

const ACTION = '*.* @@127.0.0.1\n';

describe('legacy directives', () => {
  it('reads every $InputFile* setting of a committed block', () => {
    const c = parseConf(`${IMFILE}$InputFileName /var/log/a.log
$InputFileTag a:
$InputFileStateFile st-a
$InputFileSeverity warn
$InputFileFacility daemon
$InputFilePersistStateInterval 200
$InputFileMaxLinesAtOnce 1k
$InputFileReadMode 0
$InputFilePollInterval 3
$InputRunFileMonitor
${ACTION}`);
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.files).to.deep.equal([{
      path: '/var/log/a.log', tag: 'a:', stateFile: 'st-a', facility: 3, severity: 4, persistStateInterval: 200,
      maxLinesAtOnce: 1024, readMode: 0, reopenOnTruncate: false, freshStartTail: false, pollIntervalSeconds: 3,
      where: { file: 't.conf', line: 2 },
    }]);
  });

  it('uses imfile defaults after $InputRunFileMonitor resets the block: local0.notice, derived state file, 10 s', () => {
    const c = parseConf(`${IMFILE}$InputFileName /a.log
$InputFileTag a:
$InputFileSeverity debug
$InputFileFacility local3
$InputRunFileMonitor
$InputFileName /var/log/b c.log
`);
    // Second block: a path with a space is two words, which legacy directives do not accept.
    expect(problemLines(c)).to.deep.equal([`t.conf:7: error: $InputFileName takes one value, but 'c.log' follows '/var/log/b'`]);
    const d = parseConf(`${IMFILE}$InputFileName /a.log
$InputFileTag a:
$InputFileSeverity debug
$InputFileFacility local3
$InputRunFileMonitor
$InputFileName /var/log/b.log
$InputFileTag b:
$InputRunFileMonitor
${ACTION}`);
    expect(problemLines(d)).to.deep.equal([]);
    expect(d.files[1]).to.deep.include({ facility: 16, severity: 5, stateFile: 'imfile-state:-var-log-b.log', pollIntervalSeconds: 10, tag: 'b:' });
    expect(d.files[0]).to.deep.include({ facility: 19, severity: 7 });
  });

  it('accepts trailing # comments anywhere after a value, including a bare #', () => {
    const c = parseConf(`$ModLoad imfile #
$ModLoad imfile.so # the same module again
$InputFileName /a.log   # the log
$InputFileTag a#b: #tag with a hash inside
$InputRunFileMonitor #
${ACTION}`);
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.files[0]).to.deep.include({ path: '/a.log', tag: 'a#b:' });
  });

  it('$MaxMessageSize takes rsyslog sizes: k = 1024, K = 1000', () => {
    expect(parseConf('$MaxMessageSize 8k\n').maxMessageSize).to.equal(8192);
    expect(parseConf('$MaxMessageSize 64k\n').maxMessageSize).to.equal(65536);
    expect(parseConf('$MaxMessageSize 2K\n').maxMessageSize).to.equal(2000);
    expect(parseConf('$MaxMessageSize 1234\n').maxMessageSize).to.equal(1234);
    expect(parseConf('').maxMessageSize).to.equal(8096);
    expect(problemLines(parseConf('$MaxMessageSize 8q\n'))).to.deep.equal([
      "t.conf:1: error: $MaxMessageSize: '8q' is not a size such as 8096, 8k or 64k",
    ]);
  });

  it('$WorkDirectory must be absolute; directive names are case-insensitive', () => {
    expect(parseConf('$workdirectory /var/spool/x/\n').workDirectory).to.equal('/var/spool/x');
    expect(parseConf('').workDirectory).to.equal('/nonexistent/agent-default');
    expect(problemLines(parseConf('$WorkDirectory spool\n'))).to.deep.equal(["t.conf:1: error: $WorkDirectory: 'spool' must be an absolute path"]);
  });

  it('a new $InputFileName or the end of the file commits a pending block, with a warning naming its line', () => {
    const c = parseConf(`${IMFILE}
$InputFileName /a.log
$InputFileTag a:
$InputFileName /b.log
$InputFileTag b:
${ACTION}`);
    expect(c.files.map((f) => [f.path, f.tag, f.where.line])).to.deep.equal([['/a.log', 'a:', 3], ['/b.log', 'b:', 5]]);
    expect(problemLines(c)).to.deep.equal([
      't.conf:3: warning: $InputFileName /a.log is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway',
      't.conf:5: warning: $InputFileName /b.log is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway',
    ]);
  });

  it('reports block mistakes: no tag, no file name, imfile not loaded, relative path', () => {
    expect(problemLines(parseConf(`${IMFILE}$InputFileName /a.log\n$InputRunFileMonitor\n${ACTION}`))).to.deep.equal([
      't.conf:2: warning: $InputFileName /a.log has no $InputFileTag (rsyslog refuses such a block); nsm sends its lines with an empty tag',
    ]);
    expect(problemLines(parseConf(`${IMFILE}$InputFileTag a:\n$InputRunFileMonitor\n`))).to.deep.equal([
      't.conf:3: error: $InputRunFileMonitor without a $InputFileName before it: no file to monitor',
    ]);
    expect(problemLines(parseConf('$InputFileName /a.log\n$InputFileTag a:\n$InputRunFileMonitor\n' + ACTION))).to.deep.equal([
      't.conf:1: warning: imfile is not loaded before $InputFileName ($ModLoad imfile), so rsyslog rejects this line; nsm monitors the file anyway',
    ]);
    expect(problemLines(parseConf(`${IMFILE}$InputFileName logs/a.log\n`))).to.deep.equal([
      "t.conf:2: error: $InputFileName: 'logs/a.log' must be an absolute path",
    ]);
  });

  it('reports malformed values with file:line', () => {
    const c = parseConf(`${IMFILE}$InputFileName /a.log
$InputFileSeverity loud
$InputFileFacility local9
$InputFilePollInterval soon
$InputFilePersistStateInterval -1
$InputFileReadMode 7
$InputFileTag
$InputFileTag a: b:
`);
    expect(problemLines(c)).to.deep.equal([
      't.conf:2: warning: $InputFileName /a.log is not followed by $InputRunFileMonitor, so rsyslog 8 does not monitor it; nsm monitors it anyway',
      't.conf:2: warning: $InputFileName /a.log has no $InputFileTag (rsyslog refuses such a block); nsm sends its lines with an empty tag',
      "t.conf:3: error: $InputFileSeverity: unknown severity 'loud' (use emerg, alert, crit, err, warning, notice, info, debug or 0..7)",
      "t.conf:4: error: $InputFileFacility: unknown facility 'local9' (use kern, user, ..., local0..local7 or 0..23)",
      "t.conf:5: error: $InputFilePollInterval: 'soon' is not a non-negative integer",
      "t.conf:6: error: $InputFilePersistStateInterval: '-1' is not a non-negative integer",
      "t.conf:7: error: $InputFileReadMode: '7' is not 0, 1 or 2",
      't.conf:8: error: $InputFileTag needs a value',
      "t.conf:9: error: $InputFileTag takes one value, but 'b:' follows 'a:'",
    ]);
  });

  it('unknown directives are errors; known rsyslog-only ones are warnings that say why', () => {
    expect(problemLines(parseConf('$InputFileNmae /a.log\n$ActionQueueType LinkedList\n$ActionResumeRetryCount -1\n$ModLoad imuxsock\n'))).to.deep.equal([
      't.conf:1: error: unknown directive $InputFileNmae',
      't.conf:2: warning: $ActionQueueType has no effect in nsm (the agent always queues in memory and spills to its disk queue in the work directory): ignored',
      't.conf:3: warning: $ActionResumeRetryCount has no effect in nsm (the agent retries forever with capped backoff and never drops a batch): ignored',
      "t.conf:4: warning: module 'imuxsock' is not part of nsm: ignored (nsm reads files with imfile semantics and forwards them)",
    ]);
  });

  it('records queue sizes, hostname, FQDN and the default forward template', () => {
    const c = parseConf(`$ActionQueueSize 50000
$ActionQueueMaxDiskSpace 2g
$LocalHostName sensor7
$ActionForwardDefaultTemplate RSYSLOG_ForwardFormat
local7.* @10.0.0.1
local7.* @10.0.0.1:515;RSYSLOG_TraditionalForwardFormat
`);
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.queue).to.deep.equal({ memoryMessages: 50000, diskMaxBytes: 2 * 1024 ** 3 });
    expect(c.hostname).to.equal('sensor7');
    expect(c.actions.map((a) => a.template)).to.deep.equal(['RSYSLOG_ForwardFormat', 'RSYSLOG_TraditionalForwardFormat']);
    expect(parseConf('').hostname).to.equal(require('os').hostname().split('.')[0]);
  });

  it('legacy TLS: $DefaultNetstreamDriver* and $ActionSendStreamDriver* turn the following @@ actions into TLS', () => {
    const c = parseConf(`$DefaultNetstreamDriver gtls
$DefaultNetstreamDriverCAFile /etc/ca.pem
$DefaultNetstreamDriverCertFile /etc/me.pem
$DefaultNetstreamDriverKeyFile /etc/me.key
$ActionSendStreamDriverMode 1
$ActionSendStreamDriverAuthMode x509/name
$ActionSendStreamDriverPermittedPeer elsa.example
local7.* @@(o)elsa.example:6514
`);
    expect(problemLines(c)).to.deep.equal([]);
    expect(c.actions[0]).to.deep.include({ protocol: 'tls', host: 'elsa.example', port: 6514, framing: 'octet-counted' });
    expect(c.actions[0].tls).to.deep.equal({ caFile: '/etc/ca.pem', certFile: '/etc/me.pem', keyFile: '/etc/me.key', verifyPeer: true, permittedPeers: ['elsa.example'] });
    expect(problemLines(parseConf('$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode x509/name\nlocal7.* @@h\n'))).to.deep.equal([
      't.conf:3: error: $ActionSendStreamDriverMode 1 (TLS) needs $DefaultNetstreamDriver gtls before this action',
    ]);
    expect(problemLines(parseConf('$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode x509/name\nlocal7.* @@h\n'))).to.deep.equal([
      't.conf:4: warning: TLS without a CA file: the collector\'s certificate is checked against the system\'s trusted CAs (name a CA file — DefaultNetstreamDriverCAFile, or tls.caFile in JSON — for a private CA)',
    ]);
    // Unlike rsyslog (default "anon"), nsm verifies the collector's certificate unless anon is asked for explicitly.
    const noAuthMode = parseConf('$DefaultNetstreamDriver gtls\n$DefaultNetstreamDriverCAFile /ca.pem\n$ActionSendStreamDriverMode 1\nlocal7.* @@h\n');
    expect(noAuthMode.actions[0].tls?.verifyPeer).to.equal(true);
    const anon = parseConf('$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode anon\nlocal7.* @@h\n');
    expect(anon.actions[0].tls?.verifyPeer).to.equal(false);
  });

  it('$InputFileBindRuleset is reported as not supported', () => {
    expect(problemLines(parseConf('$InputFileBindRuleset remote\n'))).to.deep.equal([
      't.conf:1: error: $InputFileBindRuleset: rulesets are not supported yet; the file would feed all actions',
    ]);
  });
});
