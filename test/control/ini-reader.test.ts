// The node.cfg INI reader against configparser's behaviour broctl relies on, its file:line errors, and a property:
// random whitespace, comments and key case give the same sections and values.
import { expect } from 'chai';
import fc from 'fast-check';
import { DiagnosticList, formatDiagnostic } from '../../agent/config/diagnostic-list';
import { readIni } from '../../src/control/ini-reader';

function read(text: string) {
  const diags = new DiagnosticList();
  const ini = readIni(text, 'node.cfg', diags, { knownKeys: ['type', 'host'] });
  return { ini, errors: diags.items.map(formatDiagnostic) };
}

function asObject(text: string): Record<string, Record<string, string>> {
  const { ini, errors } = read(text);
  expect(errors).to.deep.equal([]);
  const out: Record<string, Record<string, string>> = {};
  for (const s of ini.sections) out[s.name] = Object.fromEntries(s.entries.map((e) => [e.key, e.value]));
  return out;
}

describe('INI reader (node.cfg as configparser reads it)', () => {
  it('reads sections, lower-cases keys, accepts = and :, skips # and ; comments', () => {
    expect(asObject('# c\n[Worker-1]\nTYPE=worker\nHost : localhost\n; other\ninterface =  eth0  \n')).to.deep.equal({
      'Worker-1': { type: 'worker', host: 'localhost', interface: 'eth0' },
    });
  });

  it('keeps lines: the section header and each key', () => {
    const { ini } = read('\n[a]\ntype=worker\n\nhost=x\n');
    expect(ini.sections[0].line).to.equal(2);
    expect(ini.sections[0].entries.map((e) => [e.key, e.line])).to.deep.equal([['type', 3], ['host', 5]]);
  });

  it('continues a value on indented lines', () => {
    expect(asObject('[a]\nenv_vars=A=1,\n  B=2\nhost=h\n')).to.deep.equal({ a: { env_vars: 'A=1,\nB=2', host: 'h' } });
  });

  it('warns when an indented key=value line continues the previous value (configparser reads it so)', () => {
    const { ini, errors } = read('[a]\ntype=standalone\n  host=localhost\n');
    expect(ini.sections[0].entries).to.deep.equal([{ key: 'type', value: 'standalone\nhost=localhost', line: 2 }]);
    expect(errors).to.deep.equal([
      "node.cfg:3: warning: indented, so it continues the value of 'type' (line 2) as broctl reads it; remove the indentation if it is a key of its own",
    ]);
  });

  it('gives every section the [DEFAULT] keys it does not set itself', () => {
    expect(asObject('[DEFAULT]\nhost=localhost\n[a]\ntype=manager\n[b]\nhost=other\n')).to.deep.equal({
      a: { type: 'manager', host: 'localhost' },
      b: { host: 'other' },
    });
  });

  it('interpolates %(key)s and %%', () => {
    expect(asObject('[a]\niface=eth0\ninterface=%(iface)s\nenv_vars=P=100%%\n')).to.deep.equal({
      a: { iface: 'eth0', interface: 'eth0', env_vars: 'P=100%' },
    });
  });

  it('reports each problem at its line and reads on', () => {
    const { ini, errors } = read('type=worker\n[a]\nhost=h\nhost=i\njunk line\n[a]\n[b]\nv=50%\nw=%(nope)s\n');
    expect(errors).to.deep.equal([
      'node.cfg:1: error: no section header before this line (node.cfg starts with [NODE-NAME]): type=worker',
      "node.cfg:4: error: option 'host' in section 'a' already set (line 3)",
      'node.cfg:5: error: not a key=value line: junk line',
      "node.cfg:6: error: section 'a' already exists (line 2)",
      "node.cfg:8: error: '%' in the value of 'v' must be followed by '%' or '(name)s' (write %% for a percent sign)",
      "node.cfg:9: error: value of 'w' refers to '%(nope)s', which section 'b' does not set",
    ]);
    expect(ini.sections.map((s) => s.name)).to.deep.equal(['a', 'b']);
  });

  it('property: random blank lines, comments, spacing around = and key case do not change the result', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const key = fc.stringMatching(/^[a-z][a-z_]{0,10}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9/,.-]([A-Za-z0-9/,. -]{0,12}[A-Za-z0-9/,.-])?$/);
    const section = fc.record({ name, entries: fc.uniqueArray(fc.tuple(key, value), { selector: (e) => e[0], maxLength: 6 }) });
    const sections = fc.uniqueArray(section, { selector: (s) => s.name, minLength: 1, maxLength: 5 });
    const noise = fc.constantFrom('', '   ', '# a comment', '; another', '  # indented comment');
    const space = fc.constantFrom('', ' ', '  ', '\t');
    fc.assert(
      fc.property(sections, fc.infiniteStream(noise), fc.infiniteStream(space), fc.infiniteStream(fc.boolean()), (secs, noises, spaces, flips) => {
        const plain: string[] = [];
        const messy: string[] = [];
        for (const s of secs) {
          plain.push(`[${s.name}]`);
          messy.push(noises.next().value, `[${s.name}]${spaces.next().value}`);
          for (const [k, v] of s.entries) {
            plain.push(`${k}=${v}`);
            const written = flips.next().value ? k.toUpperCase() : k;
            const sep = flips.next().value ? '=' : ':';
            // No leading space on key lines (indentation continues a value in configparser).
            messy.push(`${written}${spaces.next().value}${sep}${spaces.next().value}${v}${spaces.next().value}`, noises.next().value);
          }
        }
        expect(asObject(messy.join('\n'))).to.deep.equal(asObject(plain.join('\n')));
      }),
      { numRuns: 300 },
    );
  });
});
