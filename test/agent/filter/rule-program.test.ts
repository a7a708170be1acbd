// Routing a file's lines through the rule program: order, stop, else, and the per-file folding of everything that
// does not depend on the line (selectors, programname, syslogtag), checked as a property against the plain run.

import { expect } from 'chai';
import fc from 'fast-check';
import { parseAgentConfigText } from '../../../agent/config/config-loader';
import { actionsForLine, routeFile } from '../../../agent/filter/rule-program';

function parse(text: string) {
  const c = parseAgentConfigText(text, 'f.conf', { defaultWorkDirectory: '/tmp', checkWorkDirectory: false });
  expect(c.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`)).to.deep.equal([]);
  return c;
}

const CONN = { tag: 'bro_conn:', facility: 23, severity: 6 };
const DNS = { tag: 'bro_dns:', facility: 22, severity: 5 };
const act = (port: number) => `action(type="omfwd" target="127.0.0.1" port="${port}")`;

describe('rule program: which actions a line reaches', () => {
  it('a filter applies to the actions after it; stop ends processing for that line only', () => {
    const c = parse([`*.* ${act(1)}`, ':msg, startswith, "#" stop', `*.* ${act(2)}`, ''].join('\n'));
    expect(actionsForLine(c.rules!, CONN, Buffer.from('#fields\tts'))).to.deep.equal([0]);
    expect(actionsForLine(c.rules!, CONN, Buffer.from('1358985600.1\tC'))).to.deep.equal([0, 1]);
  });

  it('& continues the previous line\'s filter; ~ and & stop discard', () => {
    const c = parse([`:msg, contains, "x" ${act(1)}`, '& ~', `local7.* ${act(2)}`, `& ${act(3)}`, '& stop', act(4), ''].join('\n'));
    expect(actionsForLine(c.rules!, CONN, Buffer.from('x'))).to.deep.equal([0]);
    expect(actionsForLine(c.rules!, CONN, Buffer.from('y'))).to.deep.equal([1, 2]);
    expect(actionsForLine(c.rules!, DNS, Buffer.from('y'))).to.deep.equal([3]);
  });

  it('a selector can guard a block', () => {
    const c = parse([`local7.* {`, `  :msg, startswith, "#" stop`, `  ${act(1)}`, '}', `*.* ${act(2)}`, ''].join('\n'));
    expect(actionsForLine(c.rules!, CONN, Buffer.from('#h'))).to.deep.equal([]);
    expect(actionsForLine(c.rules!, CONN, Buffer.from('row'))).to.deep.equal([0, 1]);
    expect(actionsForLine(c.rules!, DNS, Buffer.from('#h'))).to.deep.equal([1]);
  });

  it('if/else if/else with blocks; and/or share one precedence, left to right, as in rsyslog', () => {
    const c = parse([
      `if $msg == "a" or $msg == "b" and $programname == "bro_dns" then ${act(1)}`,
      `if $msg startswith "#" then { ${act(2)}`, 'stop }',
      `else if $msg contains_i "X" then ${act(3)} else { ${act(4)} }`,
      '',
    ].join('\n'));
    // (a or b) and programname == bro_dns: "a" from conn reaches nothing of the first statement.
    expect(actionsForLine(c.rules!, CONN, Buffer.from('a'))).to.deep.equal([3]);
    expect(actionsForLine(c.rules!, DNS, Buffer.from('a'))).to.deep.equal([0, 3]);
    expect(actionsForLine(c.rules!, CONN, Buffer.from('#x'))).to.deep.equal([1]);
    expect(actionsForLine(c.rules!, CONN, Buffer.from('yxy'))).to.deep.equal([2]);
  });

  it('filters see a line only up to $MaxMessageSize bytes, as rsyslog\'s imfile message holds no more', () => {
    const c = parse(`:msg, contains, "NEEDLE" ${act(1)}\n`);
    const at = (n: number): Buffer => Buffer.from(`${'x'.repeat(n)}NEEDLE`);
    expect(actionsForLine(c.rules!, CONN, at(2042), 2048)).to.deep.equal([0]);
    expect(actionsForLine(c.rules!, CONN, at(2043), 2048)).to.deep.equal([]);
    expect(routeFile(c.rules!, CONN, 2048).perLine!(at(2043))).to.deep.equal([]);
  });

  it('a file whose routing does not depend on the line gets no per-line work', () => {
    const c = parse([`if $programname == "bro_dns" and $msg startswith "#" then stop`, `*.* ${act(1)}`, ''].join('\n'));
    const conn = routeFile(c.rules!, CONN);
    expect(conn.perLine).to.equal(undefined);
    expect(conn.actions).to.deep.equal([0]);
    expect(routeFile(c.rules!, DNS).perLine!(Buffer.from('#x'))).to.deep.equal([]);
  });

  it('property: the per-file folded program routes every line as the full program does', () => {
    const condition = fc.oneof(
      fc.tuple(fc.constantFrom('msg', 'programname', 'syslogtag'), fc.constantFrom('startswith', 'contains', '==', '!='), fc.constantFrom('#', 'a', 'bro_', 'bro_dns', ''))
        .map(([p, op, v]) => `$${p} ${op} "${v}"`),
      fc.constantFrom('local7.*', 'local6.notice', '*.info'),
    );
    const statement = fc.oneof(
      fc.tuple(condition, fc.constantFrom('stop', 'A')).map(([c, a]) => ({ c, a })),
      fc.constantFrom('stop', 'A').map((a) => ({ c: undefined, a })),
    );
    fc.assert(fc.property(fc.array(statement, { maxLength: 8 }), fc.constantFrom('#f', 'a', 'ba', 'bro_x'), (stmts, line) => {
      let port = 1;
      const text = stmts.map(({ c, a }) => {
        const action = a === 'A' ? act(port++) : 'stop';
        if (c === undefined) return action;
        return c.includes('.') && !c.startsWith('$') ? `${c} ${action}` : `if ${c} then ${action}`;
      }).join('\n');
      const config = parse(text + '\n');
      for (const file of [CONN, DNS]) {
        const r = routeFile(config.rules!, file);
        const routed = r.perLine ? r.perLine(Buffer.from(line)) : [...r.actions];
        expect(routed, `${text}\n-- ${file.tag} ${line}`).to.deep.equal(actionsForLine(config.rules!, file, Buffer.from(line)));
      }
    }), { numRuns: 300 });
  });
});
