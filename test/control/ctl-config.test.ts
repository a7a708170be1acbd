// nsmctl.cfg / broctl.cfg: broctl's key = value syntax, option names and types, ${Option} substitution, the values
// broctl derives, the checks on the options nsm uses (each error's file:line text), and a property: random
// whitespace, comments and key case read the same.
import { expect } from 'chai';
import fc from 'fast-check';
import { DiagnosticList, formatDiagnostic } from '../../agent/config/diagnostic-list';
import { readCtlConfig } from '../../src/control/ctl-config-reader';
import { formatConfig, intervalMinutes, resolveCtlConfig } from '../../src/control/ctl-config-resolve';
import { OPTIONS } from '../../src/control/ctl-options';

const CTX = { home: '/opt/nsm', version: '9.9', nodeCount: 1, user: 'alice', hostname: 'box' };

function load(text: string) {
  const diags = new DiagnosticList();
  const file = readCtlConfig(text, 'etc/broctl.cfg', diags);
  const config = resolveCtlConfig(file, CTX, diags);
  return { values: config.values, lines: diags.items.map(formatDiagnostic) };
}

describe('nsmctl.cfg / broctl.cfg', () => {
  it("reads zeekctl's shipped zeekctl.cfg unchanged: typed values, ignored options listed once each", () => {
    const { values, lines } = load([
      '## Global ZeekControl configuration file.', '', 'MailTo = root@localhost', 'MailConnectionSummary = 1', 'MinDiskSpace = 5',
      'MailHostUpDown = 1', 'LogRotationInterval = 3600', 'LogExpireInterval = 0', 'StatsLogEnable = 1', 'StatsLogExpireInterval = 0',
      'StatusCmdShowAll = 0', 'CrashExpireInterval = 0', 'SitePolicyScripts = local.zeek', 'LogDir = /opt/nsm/logs', 'SpoolDir = /opt/nsm/spool',
      'BrokerDBDir = /opt/nsm/spool/brokerstore', 'FileExtractDir = /opt/nsm/spool/extract_files', 'CfgDir = /opt/nsm/etc', 'SendMail =',
    ].join('\n'));
    expect(lines).to.deep.equal([
      'etc/broctl.cfg:6: warning: MailHostUpDown: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:11: warning: StatusCmdShowAll: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:13: warning: SitePolicyScripts: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:16: warning: BrokerDBDir: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:17: warning: FileExtractDir: broctl option nsm does not use: ignored',
      // The checks on the values come after reading (nsm check sorts every file's lines).
      'etc/broctl.cfg:14: warning: LogDir directory not found: /opt/nsm/logs',
      'etc/broctl.cfg:15: warning: SpoolDir directory not found: /opt/nsm/spool',
      'etc/broctl.cfg:18: warning: CfgDir directory not found: /opt/nsm/etc',
    ]);
    expect(values.get('mailto')).to.equal('root@localhost');
    expect(values.get('mailconnectionsummary')).to.equal(true);
    expect(values.get('logrotationinterval')).to.equal(3600);
    expect(values.get('sendmail')).to.equal('');
  });

  it('fills every option: defaults, the home as ZeekBase, ${Option} references, derived values', () => {
    const { values, lines } = load('SpoolDir = ${ZeekBase}/var/spool\nSendMail =\n');
    expect(lines).to.deep.equal(['etc/broctl.cfg:1: warning: SpoolDir directory not found: /opt/nsm/var/spool']);
    expect(values.size).to.be.greaterThan(OPTIONS.length - 1);
    expect(values.get('zeekbase')).to.equal('/opt/nsm');
    expect(values.get('logdir')).to.equal('/opt/nsm/logs');
    expect(values.get('spooldir')).to.equal('/opt/nsm/var/spool');
    // Defaults that refer to SpoolDir follow the file's value, as broctl's do.
    expect(values.get('statslog')).to.equal('/opt/nsm/var/spool/stats.log');
    expect(values.get('statsdir')).to.equal('/opt/nsm/logs/stats');
    expect(values.get('mailto')).to.equal('alice');
    expect(values.get('mailalarmsto')).to.equal('alice');
    expect(values.get('mailfrom')).to.equal('Zeek <zeek@box>');
    expect(values.get('version')).to.equal('9.9');
    expect(values.get('standalone')).to.equal(true);
    expect(values.get('compresslogs')).to.equal(true);
    expect(values.get('mailsubjectprefix')).to.equal('[Zeek]');
  });

  it('formats as broctl config: sorted lower-case keys, True/False', () => {
    const out = formatConfig(load('SendMail =\nDebug = true\n').values);
    expect(out).to.include('debug = True');
    expect(out).to.include('compresslogs = True');
    expect(out).to.include('mailsubjectprefix = [Zeek]');
    expect(out).to.include('minimum = 5'.replace('minimum', 'mindiskspace'));
    expect([...out].sort()).to.deep.equal(out);
  });

  it("accepts a Bro 2.x broctl.cfg's names (BroArgs, SitePolicyStandalone, plugin options)", () => {
    const { values, lines } = load('BroArgs = -C\nSitePolicyStandalone = local.bro\nlb_custom.InterfacePrefix = x\nSendMail =\n');
    expect(lines).to.deep.equal([
      'etc/broctl.cfg:1: warning: BroArgs: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:2: warning: SitePolicyStandalone: broctl option nsm does not use: ignored',
      'etc/broctl.cfg:3: warning: lb_custom.InterfacePrefix: broctl option nsm does not use: ignored',
    ]);
    expect(values.get('zeekargs')).to.equal('-C');
  });

  it("reads LogExpireInterval in broctl's units", () => {
    expect(intervalMinutes('0')).to.equal(0);
    expect(intervalMinutes('30')).to.equal(30 * 1440);
    expect(intervalMinutes('30day')).to.equal(30 * 1440);
    expect(intervalMinutes('2 days')).to.equal(2 * 1440);
    expect(intervalMinutes('12hr')).to.equal(720);
    expect(intervalMinutes('90 mins')).to.equal(90);
    expect(intervalMinutes('1 week')).to.equal(undefined);
    expect(load('LogExpireInterval = 12 hr\nSendMail =\n').values.get('logexpireminutes')).to.equal(720);
  });

  const bad: Array<[string, string, string]> = [
    ['unknown key', 'MailToo = x', 'etc/broctl.cfg:1: error: unknown option "MailToo" (not a broctl option)'],
    ['no =', 'MailTo root', 'etc/broctl.cfg:1: error: syntax error (expected key = value): MailTo root'],
    ['bad characters', 'Mail-To = x', 'etc/broctl.cfg:1: error: option name "Mail-To" contains invalid characters (allowed: letters, digits, . and _)'],
    ['starts with a digit', '2MailTo = x', 'etc/broctl.cfg:1: error: option name "2MailTo" cannot start with a number'],
    ['quoted value', 'MailTo = "a@b"', 'etc/broctl.cfg:1: error: value of option "MailTo" cannot be wrapped in quotes'],
    ['bool', 'CompressLogs = yes', "etc/broctl.cfg:1: error: option CompressLogs has invalid value 'yes' for type bool (0, 1, true or false)"],
    ['int', 'MinDiskSpace = 5%', "etc/broctl.cfg:1: error: option MinDiskSpace has invalid value '5%' for type int"],
    ['unknown plugin', 'myplugin.enabled = 1', 'etc/broctl.cfg:1: error: no nsm plugin provides option "myplugin.enabled"'],
    ['expire units', 'LogExpireInterval = 1 week', 'etc/broctl.cfg:1: error: value of option LogExpireInterval is invalid (value must be integer followed by a time unit "day", "hr", or "min"): 1 week'],
    ['expire shorter than rotation', 'LogExpireInterval = 30min', 'etc/broctl.cfg:1: error: Log expire interval cannot be shorter than the log rotation interval (30min < 3600 s)'],
    ['negative rotation', 'LogRotationInterval = -1', 'etc/broctl.cfg:1: error: LogRotationInterval must be 0 or more seconds (0: no rotation): -1'],
    ['disk percentage', 'MinDiskSpace = 101', 'etc/broctl.cfg:1: error: MinDiskSpace is a percentage from 0 (no warning) to 100: 101'],
    ['relative dir', 'LogDir = logs', 'etc/broctl.cfg:1: error: LogDir must be an absolute path: logs'],
    ['env vars', 'Env_Vars = A=1,B', "etc/broctl.cfg:1: error: Env_Vars: missing '=' in env_vars option value: B"],
    ['reference loop', 'LogDir = ${LogDir}/x', 'etc/broctl.cfg:1: error: ${LogDir} in LogDir refers back to itself (a loop): replaced by nothing'],
  ];
  for (const [what, line, expected] of bad) {
    it(`error: ${what}`, () => {
      const errors = load(`${line}\nSendMail =\n`).lines.filter((l) => l.includes(': error: '));
      expect(errors).to.deep.equal([expected]);
    });
  }

  it('warns about a repeated key (the later line wins, as in broctl) and an unknown ${reference}', () => {
    const { values, lines } = load('MailTo = a\nMailTo = b@${NoSuchOption}x\nSendMail =\n');
    expect(lines).to.deep.equal([
      'etc/broctl.cfg:2: warning: MailTo already set on line 1: this line wins',
      'etc/broctl.cfg:2: warning: ${NoSuchOption} names no option: replaced by nothing',
    ]);
    expect(values.get('mailto')).to.equal('b@x');
  });

  it('warns when SendMail is not an executable file', () => {
    expect(load('SendMail = /nonexistent/sendmail\n').lines).to.deep.equal([
      'etc/broctl.cfg:1: warning: SendMail /nonexistent/sendmail is not an executable file: no mail can be sent (set SendMail = to send none)',
    ]);
  });

  it('property: random whitespace, comments and key case give the same values', () => {
    const settings: Array<[string, string]> = [
      ['MailTo', 'ops@example.org'], ['MailSubjectPrefix', '[Bro] x'], ['LogRotationInterval', '7200'], ['LogExpireInterval', '30 day'],
      ['MinDiskSpace', '10'], ['CompressLogs', '0'], ['StatsLogEnable', 'false'], ['CrashExpireInterval', '7'], ['SendMail', ''],
      ['MailFrom', 'Bro <bro@x.org>'], ['KeepLogs', 'conn.* dns*'],
    ];
    const space = fc.constantFrom('', ' ', '   ', '\t');
    const noise = fc.constantFrom('', '  ', '# comment', '   # indented = comment');
    fc.assert(
      fc.property(fc.shuffledSubarray(settings, { minLength: 1 }), fc.infiniteStream(space), fc.infiniteStream(noise), fc.infiniteStream(fc.integer({ min: 0, max: 2 })), (chosen, spaces, noises, cases) => {
        const plain = chosen.map(([k, v]) => `${k}=${v}`).join('\n');
        const messy = chosen.map(([k, v]) => {
          const c = cases.next().value;
          const key = c === 0 ? k : c === 1 ? k.toLowerCase() : k.toUpperCase();
          return `${noises.next().value}\n${spaces.next().value}${key}${spaces.next().value}=${spaces.next().value}${v}${spaces.next().value}`;
        }).join('\n');
        const a = load(plain);
        const b = load(messy);
        expect(b.lines.map((l) => l.replace(/:\d+:/, ':N:'))).to.deep.equal(a.lines.map((l) => l.replace(/:\d+:/, ':N:')));
        expect([...b.values]).to.deep.equal([...a.values]);
      }),
      { numRuns: 200 },
    );
  });
});
