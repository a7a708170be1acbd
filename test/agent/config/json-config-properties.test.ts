// Properties of the JSON config reader over large input spaces: the position scanner agrees with JSON.parse on
// what is JSON and where it breaks; any JSON value, or config-shaped junk, gives diagnostics on real lines, never a throw.

import { expect } from 'chai';
import fc from 'fast-check';
import { formatDiagnostic } from '../../../agent/config/diagnostic-list';
import { parseJsonAgentConfigText } from '../../../agent/config/json-config';
import { childPointer, MAX_JSON_DEPTH, scanJson } from '../../../agent/config/json-source-map';

const OPTS = { defaultWorkDirectory: '/nonexistent/agent-default', checkWorkDirectory: false };

/** Every pointer of a parsed JSON value with the first character its text must start with. */
function pointersOf(value: unknown, pointer = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(value)) {
    out.push([pointer, '[']);
    value.forEach((v, i) => pointersOf(v, childPointer(pointer, i), out));
  } else if (value !== null && typeof value === 'object') {
    out.push([pointer, '{']);
    for (const [k, v] of Object.entries(value)) pointersOf(v, childPointer(pointer, k), out);
  } else if (typeof value === 'string') {
    out.push([pointer, '"']);
  } else if (typeof value === 'number') {
    out.push([pointer, value < 0 || Object.is(value, -0) ? '-' : 'digit']);
  } else {
    out.push([pointer, String(value)[0]]);
  }
  return out;
}

/** JSON.parse's verdict: ok, or the offset it names (end of text when it names none). */
function v8Verdict(text: string): { ok: true } | { ok: false; offset: number | undefined } {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (err) {
    const m = /at position (\d+)/.exec((err as Error).message);
    return { ok: false, offset: m ? Number(m[1]) : /end of JSON input/.test((err as Error).message) ? text.length : undefined };
  }
}

const jsonText = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(undefined, 0, 1, 2, '\t', ' \r\n ')).map(([v, indent]) => JSON.stringify(v, null, indent));

/** Valid JSON with one character deleted, inserted or replaced: mostly broken, sometimes still valid. */
const nearJsonText = fc.tuple(jsonText, fc.nat(), fc.constantFrom('del', 'ins', 'rep'), fc.constantFrom(...'{}[],:"\\ \n\t0123456789-+.eEtrufalsn/x\u0001\u00e9'.split('')))
  .map(([text, at, op, ch]) => {
    const i = text.length === 0 ? 0 : at % (text.length + (op === 'ins' ? 1 : 0));
    if (op === 'del') return text.slice(0, i) + text.slice(i + 1);
    if (op === 'ins') return text.slice(0, i) + ch + text.slice(i);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

describe('JSON position scanner (json-source-map)', () => {
  it('maps every value of valid JSON to the offset where its text starts', () => {
    fc.assert(fc.property(jsonText, (text) => {
      const scan = scanJson(text);
      expect(scan.ok).to.equal(true);
      if (!scan.ok) return;
      for (const [pointer, first] of pointersOf(JSON.parse(text))) {
        const offset = scan.map.valueOffsets.get(pointer);
        expect(offset, pointer).to.be.a('number');
        const c = text[offset!];
        if (first === 'digit') expect(c).to.match(/[0-9]/);
        else expect(c, `${pointer} in ${text}`).to.equal(first);
      }
    }), { numRuns: 300 });
  });

  it('accepts exactly what JSON.parse accepts, and breaks at the offset JSON.parse names', () => {
    fc.assert(fc.property(nearJsonText, (text) => {
      const scan = scanJson(text);
      const v8 = v8Verdict(text);
      expect(scan.ok, JSON.stringify(text)).to.equal(v8.ok);
      if (!scan.ok && !v8.ok && v8.offset !== undefined) expect(scan.offset, JSON.stringify(text)).to.equal(v8.offset);
      if (!scan.ok) {
        const before = text.slice(0, scan.offset).split('\n');
        expect(scan.position).to.deep.equal({ line: before.length, column: before[before.length - 1].length + 1 });
      }
    }), { numRuns: 1000 });
  });

  it('refuses nesting deeper than its limit without exhausting the stack', () => {
    const deep = '['.repeat(200_000);
    const scan = scanJson(deep);
    expect(scan.ok).to.equal(false);
    if (!scan.ok) expect(scan.message).to.equal(`objects and arrays nested more than ${MAX_JSON_DEPTH} deep`);
    expect(scanJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)).ok).to.equal(true);
  });
});

/** Values a config member may take: mostly plausible, often wrong in type or range. */
const memberValue = fc.oneof(
  fc.constantFrom('local7', 'info', '*.*', 'local7.*', 'bogus.x', 'tcp', 'relp', 'udp', 'tls', 'lf', 'octet-counted', '/abs/path.log', 'rel.log', '', 'a b'),
  fc.integer({ min: -5, max: 70_000 }),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const FILE_KEYS = ['path', 'tag', 'facility', 'severity', 'stateFile', 'persistStateInterval', 'maxLinesAtOnce', 'reopenOnTruncate', 'freshStartTail', 'bogus'];
const ACTION_KEYS = ['selector', 'protocol', 'host', 'port', 'framing', 'template', 'tls', 'relpWindow', 'bogus'];
const TOP_KEYS = ['workDirectory', 'maxMessageSize', 'watchMode', 'pollIntervalSeconds', 'hostname', 'queue', 'bogus'];
const record = (keys: string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.constantFrom(...keys), memberValue, { maxKeys: keys.length });
const configLike = fc.tuple(record(TOP_KEYS), fc.option(fc.array(record(FILE_KEYS), { maxLength: 3 })), fc.option(fc.array(record(ACTION_KEYS), { maxLength: 3 })))
  .map(([top, files, actions]) => ({ ...top, ...(files === null ? {} : { files }), ...(actions === null ? {} : { actions }) }));

function checkDiagnosticsOnRealLines(text: string): void {
  const config = parseJsonAgentConfigText(text, 'p.json', OPTS);
  const lines = text.split('\n');
  for (const d of config.diagnostics) {
    const shown = formatDiagnostic(d);
    expect(d.file).to.equal('p.json');
    expect(d.line, shown).to.be.within(1, lines.length);
    // A message about `x.member` sits on the line that names "member" (one member per line in these texts).
    const member = /^[\w[\]."$]*\.(\w+): /.exec(d.message)?.[1];
    if (member !== undefined && !/is already monitored|state file|unknown property/.test(d.message)) {
      expect(lines[d.line - 1], `${shown}\n${text}`).to.include(`"${member}"`);
    }
    const unknown = /unknown property '(.*)' \(known: /.exec(d.message)?.[1];
    if (unknown !== undefined) expect(lines[d.line - 1], shown).to.include(JSON.stringify(unknown));
  }
}

describe('JSON agent config reader on arbitrary input', () => {
  it('any JSON value: no throw, and an error on a real line unless it is a config with files and actions', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 2), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      checkDiagnosticsOnRealLines(text);
      const config = parseJsonAgentConfigText(text, 'p.json', OPTS);
      const looksLikeConfig = value !== null && typeof value === 'object' && !Array.isArray(value) && 'files' in value && 'actions' in value;
      if (!looksLikeConfig) expect(config.diagnostics.some((d) => d.severity === 'error'), text).to.equal(true);
    }), { numRuns: 500 });
  });

  it('config-shaped junk: no throw, messages on the line of the member they name, only valid items kept', () => {
    fc.assert(fc.property(configLike, (value) => {
      const text = JSON.stringify(value, null, 2);
      checkDiagnosticsOnRealLines(text);
      const config = parseJsonAgentConfigText(text, 'p.json', OPTS);
      for (const f of config.files) expect(f.path.startsWith('/')).to.equal(true);
      for (const a of config.actions) {
        expect(a.port).to.be.within(1, 65535);
        if (a.relpWindow !== undefined) expect(a.protocol === 'relp' && Number.isInteger(a.relpWindow) && a.relpWindow >= 1, JSON.stringify(a)).to.equal(true);
      }
    }), { numRuns: 400 });
  });

  it('any near-JSON text: no throw; a syntax error carries line and column inside the text', () => {
    fc.assert(fc.property(nearJsonText, (text) => {
      const config = parseJsonAgentConfigText(text, 'p.json', OPTS);
      for (const d of config.diagnostics) {
        expect(d.line).to.be.within(1, text.split('\n').length);
        if (d.column !== undefined) expect(formatDiagnostic(d)).to.match(/^p\.json:\d+:\d+: error: JSON syntax: /);
      }
    }), { numRuns: 500 });
  });
});
