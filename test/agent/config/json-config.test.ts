// The native JSON agent config: the published schema, the example (same result as rsyslog/60-bro.conf), one exact
// `file:line:` message per kind of mistake, and agreement with the rsyslog front end on every default.

import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import type { AgentConfig } from '../../../agent/config/agent-config';
import {
  DEFAULT_FACILITY, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_QUEUE, DEFAULT_SEVERITY,
} from '../../../agent/config/config-builder';
import { loadAgentConfig } from '../../../agent/config/config-loader';
import { DEFAULT_SYSLOG_PORT, FORWARD_TEMPLATES } from '../../../agent/config/forward-target';
import { AGENT_CONFIG_SCHEMA_FILE, parseJsonAgentConfigText } from '../../../agent/config/json-config';
import { parseFacility, parseSeverity } from '../../../agent/config/syslog-names';
import { diagnosticLines, makeTempDir, parseConf } from './config-test-helpers';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const NSM = path.join(ROOT, 'bin', 'nsm');
const EXAMPLE = path.join(ROOT, 'conf.d', 'agent.example.json');
const SEED = path.join(ROOT, 'rsyslog', '60-bro.conf');

function parseJson(text: string, checkWorkDirectory = false): AgentConfig {
  return parseJsonAgentConfigText(text, 't.json', { defaultWorkDirectory: '/nonexistent/agent-default', checkWorkDirectory });
}

/** Diagnostics of `text` read as t.json, as printed by `nsm check`. */
function jsonDiagnostics(text: string): string[] {
  return diagnosticLines(parseJson(text));
}

/** A config with one file and one action around the given overrides, one member per line. */
function oneFileConfig(file: Record<string, unknown> = {}, action: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...top,
    files: [{ path: '/var/log/a.log', tag: 'a:', ...file }],
    actions: [{ selector: '*.*', protocol: 'tcp', host: '127.0.0.1', ...action }],
  }, null, 2);
}

function withoutWhere<T extends { where: unknown }>(items: readonly T[]): Omit<T, 'where'>[] {
  return items.map(({ where: _where, ...rest }) => rest);
}

type SchemaNode = { [key: string]: unknown };

function readSchema(): SchemaNode {
  return JSON.parse(fs.readFileSync(AGENT_CONFIG_SCHEMA_FILE, 'utf8')) as SchemaNode;
}

/** Every object schema in the published schema, with where it is. */
function objectSchemas(node: unknown, at = '#'): Array<{ at: string; schema: SchemaNode }> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  const schema = node as SchemaNode;
  const found = schema.type === 'object' ? [{ at, schema }] : [];
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' || k === 'definitions') {
      for (const [name, sub] of Object.entries(v as SchemaNode)) found.push(...objectSchemas(sub, `${at}/${k}/${name}`));
    } else if (k === 'items') {
      found.push(...objectSchemas(v, `${at}/items`));
    }
  }
  return found;
}

describe('JSON agent config: the published schema', () => {
  const schema = readSchema();

  it('is a valid draft-07 schema that ajv compiles in strict mode, with $id and title', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).to.equal(true);
    expect(() => ajv.compile(schema)).not.to.throw();
    expect(schema.$schema).to.equal('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).to.be.a('string').and.not.equal('');
    expect(schema.title).to.be.a('string').and.not.equal('');
  });

  it('closes every object (additionalProperties false) and describes every property', () => {
    const objects = objectSchemas(schema);
    const resolved = [...objects, ...Object.entries(schema.definitions as SchemaNode).map(([n, s]) => ({ at: `#/definitions/${n}`, schema: s as SchemaNode }))];
    expect(objects.map((o) => o.at)).to.include.members(['#', '#/properties/queue', '#/definitions/monitoredFile', '#/definitions/forwardAction', '#/definitions/forwardAction/properties/tls']);
    for (const { at, schema: o } of resolved) {
      expect(o.additionalProperties, `${at}.additionalProperties`).to.equal(false);
      for (const [name, p] of Object.entries(o.properties as SchemaNode)) {
        expect((p as SchemaNode).description, `${at}/properties/${name}.description`).to.be.a('string').with.length.above(10);
      }
    }
  });

  it('states the same defaults and template names as the rsyslog front end', () => {
    const top = schema.properties as Record<string, SchemaNode>;
    const defs = schema.definitions as Record<string, { properties: Record<string, SchemaNode> }>;
    const file = defs.monitoredFile.properties;
    const action = defs.forwardAction.properties;
    expect(top.maxMessageSize.default).to.equal(DEFAULT_MAX_MESSAGE_SIZE);
    expect(top.pollIntervalSeconds.default).to.equal(DEFAULT_POLL_INTERVAL_SECONDS);
    const queue = top.queue.properties as Record<string, SchemaNode>;
    expect({ memoryMessages: queue.memoryMessages.default, diskMaxBytes: queue.diskMaxBytes.default }).to.deep.equal(DEFAULT_QUEUE);
    expect(parseFacility(String(file.facility.default))).to.equal(DEFAULT_FACILITY);
    expect(parseSeverity(String(file.severity.default))).to.equal(DEFAULT_SEVERITY);
    expect(action.port.default).to.equal(DEFAULT_SYSLOG_PORT);
    expect(action.template.enum).to.deep.equal(FORWARD_TEMPLATES);
  });

  it('with nothing set, gives the same globals as an empty rsyslog config', () => {
    const json = parseJson('{ "files": [], "actions": [] }');
    const rsyslog = parseConf('module(load="imfile")\n');
    expect({ ...json, diagnostics: [], sources: [] }).to.deep.equal({ ...rsyslog, diagnostics: [], sources: [] });
  });

  it('gives a file and an action with defaults the same settings as input(type="imfile") and omfwd/omrelp do', () => {
    const json = parseJson(JSON.stringify({
      files: [{ path: '/var/log/a.log', tag: 'a:' }],
      actions: [
        { selector: '*.*', protocol: 'udp', host: 'h1' },
        { selector: 'local7.info;mail.none', protocol: 'tcp', host: 'h2' },
        { selector: '*.*', protocol: 'relp', host: 'h3', port: 2514 },
      ],
    }));
    const rsyslog = parseConf([
      'module(load="imfile")',
      'input(type="imfile" File="/var/log/a.log" Tag="a:")',
      '*.* action(type="omfwd" target="h1")',
      'local7.info;mail.none action(type="omfwd" target="h2" protocol="tcp")',
      '*.* action(type="omrelp" target="h3" port="2514")',
      '',
    ].join('\n'));
    expect(json.diagnostics).to.deep.equal([]);
    expect(withoutWhere(json.files)).to.deep.equal(withoutWhere(rsyslog.files));
    expect(withoutWhere(json.actions)).to.deep.equal(withoutWhere(rsyslog.actions));
  });
});

describe('JSON agent config: conf.d/agent.example.json', () => {
  const example = loadAgentConfig({ file: EXAMPLE, defaultWorkDirectory: '/tmp/unused', checkWorkDirectory: false });
  const seed = loadAgentConfig({ file: SEED, defaultWorkDirectory: '/tmp/unused', checkWorkDirectory: false });

  it('validates clean', () => {
    expect(diagnosticLines(example)).to.deep.equal([]);
    expect(example.sources).to.deep.equal([EXAMPLE]);
  });

  it('monitors the same 14 Bro logs and forwards them the same way as rsyslog/60-bro.conf', () => {
    expect(example.files).to.have.length(14);
    expect(withoutWhere(example.files)).to.deep.equal(withoutWhere(seed.files));
    expect(withoutWhere(example.actions)).to.deep.equal(withoutWhere(seed.actions));
    const { workDirectory, maxMessageSize, watchMode, hostname, queue } = seed;
    expect(example).to.deep.include({ workDirectory, maxMessageSize, watchMode, hostname, queue });
  });

  it('places each file and the action on its own line of the example', () => {
    const lines = fs.readFileSync(EXAMPLE, 'utf8').split('\n');
    for (const f of example.files) expect(lines[f.where.line - 1]).to.include(`"path": "${f.path}"`);
    expect(lines[example.actions[0].where.line - 1]).to.include('"selector": "local7.*"');
  });

  it('`nsm check -f conf.d/agent.example.json` exits 0 and lists the 14 files', () => {
    const r = spawnSync(process.execPath, [NSM, 'check', '-f', 'conf.d/agent.example.json'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).to.equal('');
    expect(r.status, r.stdout).to.equal(0);
    expect(r.stdout.split('\n')).to.include('nsm check: 14 files monitored, 1 action, 0 errors, 0 warnings');
    expect(r.stdout.split('\n').filter((l) => /^\/usr\/local\/bro\/logs\/current\/\S+\.log\s+bro_\S+:\s+local7\.info\s+stat-bro_/.test(l))).to.have.length(14);
  });
});

describe('JSON agent config: file:line messages', () => {
  it('JSON syntax errors give file:line:col of the offending character', () => {
    expect(jsonDiagnostics('{\n  "files": [],\n  "actions": [],\n}\n')).to.deep.equal([
      "t.json:4:1: error: JSON syntax: expected a property name in double quotes, found character '}'",
    ]);
    expect(jsonDiagnostics('{\n  "files": [\n    { "path": "/a", "tag" "a:" }\n')).to.deep.equal([
      "t.json:3:27: error: JSON syntax: expected ':' after the property name, found character '\"'",
    ]);
    expect(jsonDiagnostics('{\n\t"files": [\n')).to.deep.equal([
      "t.json:3:1: error: JSON syntax: unexpected end of input where a value was expected",
    ]);
    expect(jsonDiagnostics('{ "files": [], "actions": [] } x')).to.deep.equal([
      "t.json:1:32: error: JSON syntax: unexpected character 'x' after the end of the JSON value",
    ]);
    expect(jsonDiagnostics('{ "files": [{ "path": "/a\tb" }] }')).to.deep.equal([
      't.json:1:26: error: JSON syntax: control character U+0009 inside a string (write it as an escape such as \\n)',
    ]);
  });

  it('the syntax error position is the one JSON.parse reports', () => {
    for (const text of ['{\n  "a": 1,\n}', '[1,\n 2', '{"a" 1}', '{"a":\n 01}', '{"a": "\\x"}', '[1.]', '[-]', '[1e+]']) {
      let v8Offset = -1;
      try {
        JSON.parse(text);
      } catch (err) {
        v8Offset = Number(/at position (\d+)/.exec((err as Error).message)?.[1] ?? text.length);
      }
      const before = text.slice(0, v8Offset).split('\n');
      const expected = `t.json:${before.length}:${before[before.length - 1].length + 1}:`;
      const d = jsonDiagnostics(text);
      expect(d, text).to.have.length(1);
      expect(d[0].startsWith(expected), `${JSON.stringify(text)}: ${d[0]} (JSON.parse: offset ${v8Offset})`).to.equal(true);
    }
  });

  it('an unknown property is reported on its own line, with the known ones', () => {
    const text = oneFileConfig({ tagg: 'x' });
    expect(jsonDiagnostics(text)).to.deep.equal([
      "t.json:6: error: files[0]: unknown property 'tagg' (known: path, tag, facility, severity, stateFile, persistStateInterval, maxLinesAtOnce, reopenOnTruncate, freshStartTail)",
    ]);
    expect(text.split('\n')[5]).to.include('"tagg"');
  });

  it('a wrong type names the expected type and the value found', () => {
    expect(jsonDiagnostics(oneFileConfig({}, { port: '514' }))).to.deep.equal([
      't.json:13: error: actions[0].port: must be an integer, not "514"',
    ]);
    expect(jsonDiagnostics(oneFileConfig({ facility: true }))).to.deep.equal([
      't.json:6: error: files[0].facility: must be a string or an integer, not true',
    ]);
    expect(jsonDiagnostics('[]')).to.deep.equal(['t.json:1: error: top level: must be an object, not an array']);
  });

  it('a value outside an enum lists the allowed ones', () => {
    expect(jsonDiagnostics(oneFileConfig({}, { protocol: 'ftp' }))).to.deep.equal([
      't.json:11: error: actions[0].protocol: "ftp" is not one of udp, tcp, tls, relp',
    ]);
    expect(jsonDiagnostics(oneFileConfig({}, { framing: 'octet' }))).to.deep.equal([
      't.json:13: error: actions[0].framing: "octet" is not one of lf, octet-counted',
    ]);
  });

  it('a bad selector, facility or severity is reported by the rsyslog front end\'s parsers', () => {
    expect(jsonDiagnostics(oneFileConfig({}, { selector: 'local9.*' }))).to.deep.equal([
      "t.json:10: error: actions[0].selector: selector 'local9.*': unknown facility 'local9'",
    ]);
    expect(jsonDiagnostics(oneFileConfig({}, { selector: 'local7' }))).to.deep.equal([
      "t.json:10: error: actions[0].selector: selector 'local7' must be FACILITY.SEVERITY (e.g. local7.info or *.*)",
    ]);
    expect(jsonDiagnostics(oneFileConfig({ facility: 'local9', severity: 'loud' }))).to.deep.equal([
      't.json:6: error: files[0].facility: "local9" is not a facility (kern..local7 or 0..23)',
      't.json:7: error: files[0].severity: "loud" is not a severity (emerg..debug or 0..7)',
    ]);
    expect(jsonDiagnostics(oneFileConfig({ severity: 8 }))).to.deep.equal(['t.json:6: error: files[0].severity: 8 is more than the maximum 7']);
  });

  it('a missing required property is reported on the line of the object that lacks it', () => {
    expect(jsonDiagnostics('{\n  "files": [\n    {\n      "path": "/a.log"\n    }\n  ],\n  "actions": []\n}')).to.deep.equal([
      "t.json:3: error: files[0]: missing required property 'tag'",
      't.json:7: warning: actions: the list is empty: lines would be read but sent nowhere',
    ]);
    expect(jsonDiagnostics('{\n  "files": []\n}')).to.deep.equal([
      "t.json:1: error: top level: missing required property 'actions'",
      't.json:2: warning: files: the list is empty: nothing would be monitored',
    ]);
  });

  it('patterns, limits and dependencies are explained in words', () => {
    expect(jsonDiagnostics(oneFileConfig({ path: 'a.log' }, { host: 'a b', port: 0 }, { workDirectory: 'var/x', queue: { memoryMessages: -1 } }))).to.deep.equal([
      't.json:2: error: workDirectory: "var/x" must be an absolute path (starting with /)',
      't.json:4: error: queue.memoryMessages: -1 is less than the minimum 0',
      't.json:8: error: files[0].path: "a.log" must be an absolute path (starting with /)',
      't.json:16: error: actions[0].host: "a b" must not be empty or contain whitespace',
      't.json:17: error: actions[0].port: 0 is less than the minimum 1',
    ]);
    expect(jsonDiagnostics(oneFileConfig({}, { protocol: 'tls', tls: { certFile: '/c.pem' } }))).to.deep.equal([
      't.json:13: error: actions[0].tls: certFile needs keyFile as well',
    ]);
  });

  it('a bad item is skipped and reported; the others are still read', () => {
    const config = parseJson(JSON.stringify({
      files: [{ path: '/ok.log', tag: 'ok:' }, { path: '/bad.log', tag: 'bad:', persistStateInterval: -5 }],
      actions: [{ selector: 'bogus', protocol: 'tcp', host: 'h' }, { selector: '*.*', protocol: 'udp', host: 'h2' }],
    }, null, 2));
    expect(config.files.map((f) => f.path)).to.deep.equal(['/ok.log']);
    expect(config.actions.map((a) => a.host)).to.deep.equal(['h2']);
    expect(config.diagnostics.filter((d) => d.severity === 'error')).to.have.length(2);
  });

  it('a property given twice is a warning; the last one counts, as in JSON.parse', () => {
    const text = oneFileConfig({}, {}, { maxMessageSize: 100 }).replace('"maxMessageSize": 100', '"maxMessageSize": 100,\n  "maxMessageSize": 200');
    const config = parseJson(text);
    expect(diagnosticLines(config)).to.deep.equal(["t.json:3: warning: top level: property 'maxMessageSize' is given more than once; the last one counts"]);
    expect(config.maxMessageSize).to.equal(200);
  });

  it('TLS: protocol tls verifies by default, relp with tls turns TLS on, tls on tcp is an error', () => {
    const tls = parseJson(oneFileConfig({}, { protocol: 'tls', port: 6514, framing: 'octet-counted' }));
    expect(tls.actions[0]).to.deep.include({ protocol: 'tls', framing: 'octet-counted', tls: { caFile: undefined, certFile: undefined, keyFile: undefined, verifyPeer: true, permittedPeers: [] } });
    const relp = parseJson(oneFileConfig({}, { protocol: 'relp', tls: { caFile: '/ca.pem', verifyPeer: false, permittedPeers: ['elsa'] } }));
    expect(relp.diagnostics).to.deep.equal([]);
    expect(relp.actions[0]).to.deep.include({ protocol: 'relp', template: 'RSYSLOG_ForwardFormat', tls: { caFile: '/ca.pem', certFile: undefined, keyFile: undefined, verifyPeer: false, permittedPeers: ['elsa'] } });
    expect(jsonDiagnostics(oneFileConfig({}, { tls: {} }))).to.deep.equal([
      't.json:13: error: actions[0].tls: TLS settings need protocol "tls" or "relp" (this action is tcp)',
    ]);
    expect(jsonDiagnostics(oneFileConfig({}, { protocol: 'udp', framing: 'octet-counted' }))).to.deep.equal([
      't.json:13: warning: actions[0].framing: framing applies to tcp and tls only; ignored for udp',
    ]);
  });

  it('whole-config checks of the shared builder apply: the same file twice, a missing work directory', () => {
    const twice = JSON.stringify({ files: [{ path: '/a.log', tag: 'a:' }, { path: '/a.log', tag: 'b:' }], actions: [] }, null, 2);
    expect(jsonDiagnostics(twice)).to.include('t.json:7: error: /a.log is already monitored (t.json:3): every line would be sent twice');
    const missing = parseJson(oneFileConfig({}, {}, { workDirectory: '/nonexistent/nsm-wd/' }), true);
    expect(diagnosticLines(missing)).to.deep.equal(['t.json:2: error: work directory /nonexistent/nsm-wd does not exist (ENOENT): the agent could not keep its state files there']);
  });

  it('loadAgentConfig reads *.json files (any case) as JSON, reports unreadable ones, and accepts a byte-order mark', () => {
    const dir = makeTempDir('json-config');
    try {
      const upper = path.join(dir, 'AGENT.JSON');
      fs.writeFileSync(upper, '\ufeff' + oneFileConfig({ facility: 'local7', severity: 6 }));
      const config = loadAgentConfig({ file: upper, defaultWorkDirectory: dir });
      expect(diagnosticLines(config)).to.deep.equal([]);
      expect(config.files[0]).to.deep.include({ facility: 23, severity: 6, where: { file: upper, line: 3 } });
      const absent = path.join(dir, 'absent.json');
      expect(diagnosticLines(loadAgentConfig({ file: absent, defaultWorkDirectory: dir }))).to.deep.equal([
        `${absent}: error: cannot read ${absent}: ENOENT: no such file or directory, open '${absent}'`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
