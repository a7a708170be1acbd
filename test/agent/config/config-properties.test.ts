// Property tests: random legacy $InputFile* blocks give exactly the modelled MonitoredFile list; random garbage
// never throws and every diagnostic points at a real line (an unknown directive at exactly its own line).

import { expect } from 'chai';
import * as fc from 'fast-check';
import { FACILITY_NAME_LIST, parseFacility, parseSeverity, SEVERITY_NAME_LIST } from '../../../agent/config/syslog-names';
import { parseConf } from './config-test-helpers';

interface BlockModel {
  tag?: string;
  stateFile?: string;
  severity?: string;
  facility?: string;
  persist?: number;
  run: boolean;
  order: number[];
}

const token = fc.stringMatching(/^[A-Za-z0-9_:.-]{1,12}$/);
const block: fc.Arbitrary<BlockModel> = fc.record({
  tag: fc.option(token, { nil: undefined }),
  stateFile: fc.option(token, { nil: undefined }),
  severity: fc.option(fc.constantFrom(...SEVERITY_NAME_LIST), { nil: undefined }),
  facility: fc.option(fc.constantFrom(...FACILITY_NAME_LIST), { nil: undefined }),
  persist: fc.option(fc.nat({ max: 100000 }), { nil: undefined }),
  run: fc.boolean(),
  order: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
}, { requiredKeys: ['run', 'order'] });
const filler = fc.constantFrom('', '# a comment', '   ', '\t# indented comment');

function renderBlock(b: BlockModel, i: number, fill: string): string[] {
  const settings = [
    b.tag === undefined ? undefined : `$InputFileTag ${b.tag}`,
    // The block index keeps state files distinct: two files sharing one is an error.
    b.stateFile === undefined ? undefined : `$InputFileStateFile ${b.stateFile}-${i}`,
    b.severity === undefined ? undefined : `$InputFileSeverity ${b.severity}`,
    b.facility === undefined ? undefined : `$InputFileFacility ${b.facility} # trailing comment`,
    b.persist === undefined ? undefined : `$InputFilePersistStateInterval ${b.persist}`,
  ];
  const lines = [`$InputFileName /logs/f${i}.log`];
  for (const k of b.order) if (settings[k] !== undefined) lines.push(settings[k] as string, fill);
  if (b.run) lines.push('$InputRunFileMonitor');
  return lines;
}

describe('config properties', () => {
  it('random $InputFile* blocks round-trip to the modelled MonitoredFile list (property)', () => {
    fc.assert(fc.property(fc.array(block, { maxLength: 8 }), filler, (blocks, fill) => {
      const lines = ['$ModLoad imfile', 'local7.* @@127.0.0.1'];
      const nameLines: number[] = [];
      blocks.forEach((b, i) => {
        nameLines.push(lines.length + 1);
        lines.push(...renderBlock(b, i, fill));
      });
      const c = parseConf(lines.join('\n') + '\n');
      expect(c.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
      expect(c.files).to.deep.equal(blocks.map((b, i) => ({
        path: `/logs/f${i}.log`,
        tag: b.tag ?? '',
        stateFile: b.stateFile === undefined ? `imfile-state:-logs-f${i}.log` : `${b.stateFile}-${i}`,
        facility: b.facility === undefined ? 16 : parseFacility(b.facility),
        severity: b.severity === undefined ? 5 : parseSeverity(b.severity),
        persistStateInterval: b.persist ?? 0,
        maxLinesAtOnce: 0, readMode: 0, reopenOnTruncate: false, freshStartTail: false, pollIntervalSeconds: 10,
        where: { file: 't.conf', line: nameLines[i] },
      })));
      const expectedWarningLines = blocks.flatMap((b, i) => [...(b.run ? [] : [nameLines[i]]), ...(b.tag === undefined ? [nameLines[i]] : [])]);
      const warningLines = c.diagnostics.filter((d) => d.severity === 'warning' && d.line > 0).map((d) => d.line);
      expect(warningLines).to.deep.equal(expectedWarningLines);
    }), { numRuns: 300 });
  });

  it('arbitrary text never throws and every diagnostic names a line of the file (property)', () => {
    const anyLine = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('$', '&', ':', '(', ')', '"', '/*', '*/', 'if x then', 'input(', 'action(type="omfwd"', 'local7.* @@', '[', '{', '}'));
    fc.assert(fc.property(fc.array(anyLine, { maxLength: 30 }), (lines) => {
      const text = lines.join('\n');
      const c = parseConf(text);
      const lineCount = text.split('\n').length;
      for (const d of c.diagnostics) {
        expect(d.line).to.be.within(0, lineCount);
        expect(d.message).to.be.a('string').and.not.equal('');
      }
    }), { numRuns: 500 });
  });

  it('an unknown directive among harmless garbage is reported at exactly its line (property)', () => {
    // Garbage without quotes, brackets, comment openers or `if` (those may legitimately span lines).
    const harmless = fc.stringMatching(/^[A-Za-z0-9 .,;:@&$=!*#_\t-]{0,30}$/).filter((l) => !/^\s*if\b/i.test(l));
    fc.assert(fc.property(fc.array(harmless, { maxLength: 20 }), fc.nat(), fc.stringMatching(/^[a-z]{1,8}$/), (garbage, at, name) => {
      const lines = [...garbage];
      const index = at % (lines.length + 1);
      lines.splice(index, 0, `$Zz${name} value`);
      const c = parseConf(lines.join('\n'));
      expect(c.diagnostics.map((d) => `${d.line}: ${d.message}`)).to.include(`${index + 1}: unknown directive $Zz${name}`);
    }), { numRuns: 500 });
  });
});
