// Software::parse as Zeek runs it, on Zeek's own table of strings (zeek-version-parsing-cases.ts), plus
// cmp_versions and software_fmt_version, and the Zeek string built-ins the parser is written with.

import { expect } from 'chai';
import {
  cmpVersions, formatVersion, parseSoftwareVersion, SoftwareVersion,
} from '../../../../sensor/analyzers/software/software-version';
import { zeekSplit, zeekSplitAll, zeekUnescapeUri } from '../../../../sensor/analyzers/software/zeek-strings';
import { ZEEK_VERSION_PARSING_CASES } from './zeek-version-parsing-cases';

describe('software version parsing (Zeek Software::parse)', () => {
  it("gives Zeek's name and version for each of the 60 strings of Zeek's version-parsing test", () => {
    expect(ZEEK_VERSION_PARSING_CASES).to.have.length(60);
    const failures: string[] = [];
    for (const [input, name, version] of ZEEK_VERSION_PARSING_CASES) {
      const got = parseSoftwareVersion(input);
      if (got.name !== name || got.unparsedVersion !== input || cmpVersions(got.version, version) !== 0) {
        failures.push(`${input}: got ${got.name} ${JSON.stringify(got.version)}, Zeek: ${name} ${JSON.stringify(version)}`);
      }
      // cmp_versions 0 means every part set alike: the records are the same.
      if (got.name === name) expect(got.version, input).to.deep.equal(version);
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  it('parses the Java user agents of the seed (old and new) and a curl one', () => {
    expect(parseSoftwareVersion('Java/1.7.0_09')).to.deep.equal({
      name: 'Java', version: { major: 1, minor: 7, minor2: 0, minor3: 9 }, unparsedVersion: 'Java/1.7.0_09',
    });
    expect(parseSoftwareVersion('Java/1.8.0_402').version).to.deep.equal({ major: 1, minor: 8, minor2: 0, minor3: 402 });
    expect(parseSoftwareVersion('curl/7.88.1')).to.deep.include({ name: 'curl', version: { major: 7, minor: 88, minor2: 1 } });
    // A Mozilla-style agent naming Java (applets): parse_mozilla's last branch.
    expect(parseSoftwareVersion('Mozilla/4.0 (Windows XP 5.1) Java/1.6.0_20').version)
      .to.deep.equal({ major: 1, minor: 6, minor2: 0, minor3: 20 });
  });

  it('keeps the Zeek fallbacks: no version, and a string that is no software at all', () => {
    expect(parseSoftwareVersion('nginx')).to.deep.equal({ name: 'nginx', version: {}, unparsedVersion: 'nginx' });
    expect(parseSoftwareVersion('Mozilla/5.0 (X11) Gecko').name).to.equal('<unknown browser>');
    expect(parseSoftwareVersion('').name).to.equal('');
  });

  it("reads Zeek's /A.*B/ tests on one line only, and a long hostile header in linear time", () => {
    expect(parseSoftwareVersion('Mozilla/5.0 (X) Version/5.0 Safari/1').name).to.equal('Safari');
    expect(parseSoftwareVersion('Mozilla/5.0 (X) Version/5.0\nSafari/1').name).to.equal('<unknown browser>');
    expect(parseSoftwareVersion('Mozilla/5.0 Mobile\nx Version/5.0 Safari/1').version).to.deep.equal({ major: 5, minor: 0 });
    // 16 KiB of "Version/" with no Safari: quadratic with a backtracking regex (minutes), instant here.
    const hostile = 'Mozilla/5.0 ' + 'Version/'.repeat(2048);
    expect(parseSoftwareVersion(hostile).name).to.equal('<unknown browser>');
    expect(parseSoftwareVersion(hostile + 'Chrome/1.2 Safari/').name).to.equal('Safari');
    expect(parseSoftwareVersion('Mozilla/5.0 ' + 'Chrome/'.repeat(2048)).name).to.equal('<unknown browser>');
    // Blanks are version characters: the run of 16 Ki blanks is the (empty) version, the rest its addl.
    expect(parseSoftwareVersion(`x${' '.repeat(16384)}y 1.2`)).to.deep.include({ name: 'x', version: { addl: 'y' } });
  });

    it('never throws on random bytes and mutated agents (5,000 strings): counts are whole numbers, the input is kept', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '0123456789./-_ ,()[]{}%\\xvMSIEJavaOperaMozilla;:\t\n\u00e9\u00ff';
    const seeds = ZEEK_VERSION_PARSING_CASES.map((c) => c[0]);
    for (let i = 0; i < 5000; i++) {
      let s: string;
      if (i % 2 === 0) {
        s = '';
        const len = rand(80);
        for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      } else {
        const chars = [...seeds[rand(seeds.length)]];
        for (let k = rand(6); k >= 0; k--) chars[rand(chars.length)] = alphabet[rand(alphabet.length)];
        s = chars.join('');
      }
      const d = parseSoftwareVersion(s);
      expect(d.unparsedVersion).to.equal(s);
      expect(d.name).to.be.a('string');
      for (const part of [d.version.major, d.version.minor, d.version.minor2, d.version.minor3]) {
        if (part !== undefined) expect(Number.isInteger(part) && part >= 0, `${JSON.stringify(s)}: ${part}`).to.equal(true);
      }
      expect(formatVersion(d.version)).to.be.a('string');
    }
  });

    it('compares versions as cmp_versions does: a set part beats an unset one, addl compared last', () => {
    const v = (o: SoftwareVersion): SoftwareVersion => o;
    expect(cmpVersions(v({ major: 1, minor: 7, minor2: 0, minor3: 9 }), v({ major: 1, minor: 7, minor2: 0, minor3: 10 }))).to.equal(-1);
    expect(cmpVersions(v({ major: 1, minor: 7, minor2: 0, minor3: 11 }), v({ major: 1, minor: 7, minor2: 0, minor3: 10 }))).to.equal(1);
    expect(cmpVersions(v({ major: 1, minor: 7 }), v({ major: 1, minor: 7, minor2: 0 }))).to.equal(-1);
    expect(cmpVersions(v({ major: 2, addl: 'b' }), v({ major: 2, addl: 'a' }))).to.equal(1);
    expect(cmpVersions(v({}), v({}))).to.equal(0);
    expect(formatVersion({ major: 1, minor: 7, minor2: 0, minor3: 9 })).to.equal('1.7.0.9');
    expect(formatVersion({ minor: 2, addl: 'rc1' })).to.equal('0.2-rc1');
  });

  it("splits as Zeek's split_string_n: separators kept, the rest after the last one, a trailing empty part", () => {
    expect(zeekSplit('a1b22c', /[0-9]+/, true, 1)).to.deep.equal(['a', '1', 'b22c']);
    expect(zeekSplit('1.2.3.4.5', /\./, false, 3)).to.deep.equal(['1', '2', '3', '4.5']);
    expect(zeekSplitAll('a/b/', /\//)).to.deep.equal(['a', '/', 'b', '/', '']);
    expect(zeekSplit('abc', /x/, true, 1)).to.deep.equal(['abc']);
  });

  it("decodes %-escapes as Zeek's unescape_URI: %XX, %uXXXX, a doubled %, and what it leaves alone", () => {
    expect(zeekUnescapeUri('a%20b')).to.equal('a b');
    expect(zeekUnescapeUri('%u00e9%u20AC')).to.equal('\xe9\x20\xac');
    expect(zeekUnescapeUri('%%41')).to.equal('A');
    expect(zeekUnescapeUri('%zz%')).to.equal('%zz%');
    expect(zeekUnescapeUri('x%4')).to.equal('x%4');
  });
});
