// The RELP window from the config: omrelp `windowSize` (rsyslog syntax) and `relpWindow` (JSON) reach the action
// and the RelpTransport built for it; bad values and misplaced ones are reported at their line; real rsyslogd -N1
// accepts and rejects the same windowSize values nsm does.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig } from '../../../agent/config/agent-config';
import { MAX_RELP_WINDOW } from '../../../agent/config/forward-target';
import { AGENT_CONFIG_SCHEMA_FILE, parseJsonAgentConfigText } from '../../../agent/config/json-config';
import { createTransport } from '../../../agent/transport/create-transport';
import { DEFAULT_RELP_WINDOW, RelpTransport } from '../../../agent/transport/relp-transport';
import { silentLogger } from '../../../src/core/logger';
import { diagnosticLines, makeTempDir, parseConf, problemLines } from './config-test-helpers';

const omrelp = (window: string): string => `action(type="omrelp" target="127.0.0.1" port="2514" windowSize="${window}")\n`;

function parseJson(value: unknown): AgentConfig {
  return parseJsonAgentConfigText(JSON.stringify(value, null, 2), 't.json', { defaultWorkDirectory: '/nonexistent/agent-default', checkWorkDirectory: false });
}

const jsonAction = (action: Record<string, unknown>): unknown => ({
  files: [{ path: '/var/log/a.log', tag: 'a:' }],
  actions: [{ selector: '*.*', protocol: 'relp', host: '127.0.0.1', port: 2514, ...action }],
});

describe('RELP window in the config', () => {
  describe('rsyslog syntax: action(type="omrelp" windowSize=...)', () => {
    it('a whole number sets the window; 0 and absent keep the default (librelp\'s 128)', () => {
      const c = parseConf(`${omrelp('4')}${omrelp('0')}action(type="omrelp" target="127.0.0.1" port="2514")\n${omrelp(String(MAX_RELP_WINDOW))}`);
      expect(problemLines(c)).to.deep.equal([]);
      expect(c.actions.map((a) => a.relpWindow)).to.deep.equal([4, undefined, undefined, MAX_RELP_WINDOW]);
      expect(c.actions.map((a) => 'relpWindow' in a)).to.deep.equal([true, false, false, true]);
    });

    it('the parameter name is case-insensitive, as every rsyslog parameter', () => {
      const c = parseConf('action(type="omrelp" target="h" WINDOWSIZE="16")\n');
      expect(problemLines(c)).to.deep.equal([]);
      expect(c.actions[0].relpWindow).to.equal(16);
    });

    it('a bad value is an error at the line of the parameter, naming it as written', () => {
      const c = parseConf([
        'action(type="omrelp" target="h1"',
        '       windowSize="x")',
        'action(type="omrelp" target="h2" windowSize="-1")',
        'action(type="omrelp" target="h3" windowSize="4.5")',
        `action(type="omrelp" target="h4" WindowSize="${MAX_RELP_WINDOW + 1}")`,
        'action(type="omrelp" target="h5" windowSize="")',
        'action(type="omrelp" target="h6" windowSize=["1","2"])',
        '',
      ].join('\n'));
      const kind = `a whole number of messages 0..${MAX_RELP_WINDOW} (0: librelp's default, 128)`;
      expect(problemLines(c)).to.deep.equal([
        `t.conf:2: error: action(type="omrelp"): windowSize="x" is not ${kind}`,
        `t.conf:3: error: action(type="omrelp"): windowSize="-1" is not ${kind}`,
        `t.conf:4: error: action(type="omrelp"): windowSize="4.5" is not ${kind}`,
        `t.conf:5: error: action(type="omrelp"): WindowSize="${MAX_RELP_WINDOW + 1}" is not ${kind}`,
        `t.conf:6: error: action(type="omrelp"): windowSize="" is not ${kind}`,
        't.conf:7: error: action(type="omrelp"): windowSize takes one value, not a list',
      ]);
    });

    it('on omfwd it stays a warning (no window in TCP or UDP) and nothing on the action changes', () => {
      const c = parseConf('action(type="omfwd" target="h" protocol="tcp"\n       windowSize="4")\n');
      expect(problemLines(c)).to.deep.equal([
        't.conf:2: warning: action(type="omfwd"): windowSize has no effect in nsm (it is an omrelp parameter; omfwd has no window, and rsyslog\'s omfwd rejects it as unknown): ignored',
      ]);
      expect(c.actions).to.have.length(1);
      expect(c.actions[0]).to.not.have.property('relpWindow');
    });

    it('property: any value is either a window 0..max or an error, never a throw', () => {
      fc.assert(fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.integer({ min: -5, max: 20 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 16n }).map(String)), (value) => {
        const text = `action(type="omrelp" target="h" windowSize="${value.replace(/["\\\n]/g, '')}")\n`;
        const c = parseConf(text);
        const written = value.replace(/["\\\n]/g, '');
        const valid = /^\s*\d{1,15}\s*$/.test(written) && Number(written) <= MAX_RELP_WINDOW;
        if (valid) {
          expect(problemLines(c), text).to.deep.equal([]);
          const n = Number(written);
          expect(c.actions[0].relpWindow).to.equal(n === 0 ? undefined : n);
        } else {
          expect(c.diagnostics.some((d) => d.severity === 'error' && d.line === 1), text).to.equal(true);
        }
      }), { numRuns: 300 });
    });

    describe('real rsyslogd -N1 agrees', () => {
      let dir: string;
      before(() => (dir = makeTempDir('relp-window')));
      after(() => fs.rmSync(dir, { recursive: true, force: true }));
      const rsyslogAccepts = (window: string): boolean => {
        const file = path.join(dir, 'rsyslog-check.conf');
        fs.writeFileSync(file, `module(load="omrelp")\n${omrelp(window)}`);
        const r = spawnSync('rsyslogd', ['-N1', '-f', file], { encoding: 'utf8', timeout: 20_000 });
        if (r.error) throw r.error; // rsyslogd missing must fail the test, not skip it
        return r.status === 0;
      };

      for (const window of ['4', '0', '128', '-1', 'abc', '4.5']) {
        it(`windowSize="${window}"`, () => {
          const nsmAccepts = problemLines(parseConf(omrelp(window))).length === 0;
          expect(nsmAccepts, 'nsm').to.equal(rsyslogAccepts(window));
        });
      }
    });
  });

  describe('JSON: relpWindow on a relp action', () => {
    it('sets the window; absent keeps the default', () => {
      const c = parseJson(jsonAction({ relpWindow: 4 }));
      expect(diagnosticLines(c)).to.deep.equal([]);
      expect(c.actions[0]).to.deep.include({ protocol: 'relp', relpWindow: 4 });
      expect(parseJson(jsonAction({})).actions[0]).to.not.have.property('relpWindow');
    });

    it('gives the same action as the rsyslog front end for the same window', () => {
      const json = parseJson(jsonAction({ relpWindow: 64 }));
      const rsyslog = parseConf('module(load="imfile")\ninput(type="imfile" File="/var/log/a.log" Tag="a:")\n*.* action(type="omrelp" target="127.0.0.1" port="2514" windowSize="64")\n');
      const strip = (c: AgentConfig): unknown => c.actions.map(({ where: _where, ...rest }) => rest);
      expect(strip(json)).to.deep.equal(strip(rsyslog));
    });

    it('a value out of range or of the wrong type is an error at its line', () => {
      expect(diagnosticLines(parseJson(jsonAction({ relpWindow: 0 })))).to.deep.equal(['t.json:14: error: actions[0].relpWindow: 0 is less than the minimum 1']);
      expect(diagnosticLines(parseJson(jsonAction({ relpWindow: MAX_RELP_WINDOW + 1 })))).to.deep.equal([
        `t.json:14: error: actions[0].relpWindow: ${MAX_RELP_WINDOW + 1} is more than the maximum ${MAX_RELP_WINDOW}`,
      ]);
      expect(diagnosticLines(parseJson(jsonAction({ relpWindow: 2.5 })))).to.deep.equal(['t.json:14: error: actions[0].relpWindow: must be an integer, not 2.5']);
      expect(diagnosticLines(parseJson(jsonAction({ relpWindow: '8' })))).to.deep.equal(['t.json:14: error: actions[0].relpWindow: must be an integer, not "8"']);
      expect(parseJson(jsonAction({ relpWindow: 0 })).actions).to.deep.equal([]);
    });

    it('on another protocol it is an error, as TLS settings on udp are', () => {
      for (const protocol of ['udp', 'tcp', 'tls']) {
        const c = parseJson(jsonAction({ protocol, relpWindow: 4 }));
        expect(diagnosticLines(c)).to.deep.equal([`t.json:14: error: actions[0].relpWindow: relpWindow applies to protocol "relp" only (this action is ${protocol})`]);
        expect(c.actions).to.deep.equal([]);
      }
    });

    it('the schema\'s bounds are the ones the rsyslog front end uses', () => {
      const schema = JSON.parse(fs.readFileSync(AGENT_CONFIG_SCHEMA_FILE, 'utf8')) as { definitions: { forwardAction: { properties: Record<string, { minimum: number; maximum: number }> } } };
      const p = schema.definitions.forwardAction.properties.relpWindow;
      expect({ minimum: p.minimum, maximum: p.maximum }).to.deep.equal({ minimum: 1, maximum: MAX_RELP_WINDOW });
    });
  });

  describe('createTransport', () => {
    const closeAll: RelpTransport[] = [];
    afterEach(async () => {
      for (const t of closeAll.splice(0)) await t.close();
    });
    const build = (configText: string): RelpTransport => {
      const c = parseConf(configText);
      expect(problemLines(c)).to.deep.equal([]);
      const t = createTransport(c.actions[0], silentLogger);
      expect(t).to.be.instanceOf(RelpTransport);
      closeAll.push(t as RelpTransport);
      return t as RelpTransport;
    };

    it('hands the configured window to the RELP transport, and the default without one', () => {
      expect(build(omrelp('4')).window).to.equal(4);
      expect(build(omrelp('0')).window).to.equal(DEFAULT_RELP_WINDOW);
      expect(build('action(type="omrelp" target="127.0.0.1" port="2514")\n').window).to.equal(DEFAULT_RELP_WINDOW);
    });
  });
});
