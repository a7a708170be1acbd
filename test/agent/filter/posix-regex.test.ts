// The POSIX BRE/ERE translation: what each construct means in glibc's C locale, and what nsm refuses rather than
// guess. (The same patterns run against real rsyslogd in filters-vs-rsyslogd.test.ts.)

import { expect } from 'chai';
import { translatePosixRegex } from '../../../agent/filter/posix-regex';

function matches(pattern: string, dialect: 'bre' | 'ere', text: string): boolean {
  const t = translatePosixRegex(pattern, dialect);
  if ('error' in t) throw new Error(`${pattern}: ${t.error}`);
  return t.regex.test(Buffer.from(text, 'latin1').toString('latin1'));
}

function error(pattern: string, dialect: 'bre' | 'ere'): string {
  const t = translatePosixRegex(pattern, dialect);
  return 'error' in t ? t.error : '(translated)';
}

describe('POSIX regex translation (rsyslog regex / ereregex)', () => {
  it('BRE: + ? | ( ) { } are ordinary characters; \\+ \\? \\| \\( \\) \\{ \\} are operators (GNU)', () => {
    expect(matches('a+', 'bre', 'a+')).to.equal(true);
    expect(matches('a+', 'bre', 'aa')).to.equal(false);
    expect(matches('^a\\+$', 'bre', 'aaa')).to.equal(true);
    expect(matches('^\\(ab\\)\\{2\\}$', 'bre', 'abab')).to.equal(true);
    expect(matches('^a\\|b$', 'bre', 'b')).to.equal(true);
    expect(matches('(a)', 'bre', '(a)')).to.equal(true);
  });

  it('BRE: a leading * is literal, ^ and $ anchor only at the ends of an expression', () => {
    expect(matches('*a', 'bre', 'x*a')).to.equal(true);
    expect(matches('*a', 'bre', 'a')).to.equal(false);
    expect(matches('^*', 'bre', '*x')).to.equal(true);
    expect(matches('a^b', 'bre', 'a^b')).to.equal(true);
    expect(matches('a$b', 'bre', 'a$b')).to.equal(true);
    expect(matches('a$', 'bre', 'ba')).to.equal(true);
  });

  it('ERE: operators as in egrep; ^ and $ are anchors anywhere', () => {
    expect(matches('^(a|b)+$', 'ere', 'abba')).to.equal(true);
    expect(matches('^(a|b)+$', 'ere', 'abc')).to.equal(false);
    expect(matches('a^b', 'ere', 'a^b')).to.equal(false);
    expect(matches('^[0-9]+\\.[0-9]+', 'ere', '1358985600.1')).to.equal(true);
  });

  it('one byte is one character (C locale): . matches CR, NUL, and each byte of a UTF-8 sequence', () => {
    expect(matches('^a.$', 'ere', 'a\r')).to.equal(true);
    expect(matches('^..$', 'ere', '\xc3\xa9')).to.equal(true);
    expect(matches('^.$', 'ere', '\xc3\xa9')).to.equal(false);
    expect(matches('é', 'ere', '\xc3\xa9')).to.equal(true);
  });

  it('brackets: ] first is literal, \\ is literal, classes are ASCII; \\s is [ \\t\\n\\v\\f\\r] only (not 0xA0)', () => {
    expect(matches('[]a]', 'ere', ']')).to.equal(true);
    expect(matches('[\\]', 'ere', '\\')).to.equal(true);
    expect(matches('[[:upper:]]', 'ere', 'É')).to.equal(false);
    expect(matches('[[:digit:]x-z]', 'bre', 'y')).to.equal(true);
    expect(matches('\\s', 'ere', '\xa0')).to.equal(false);
    expect(matches('[[:space:]]', 'ere', '\x0b')).to.equal(true);
    expect(matches('\\w\\W', 'ere', 'a-')).to.equal(true);
  });

  it('an empty pattern matches every line (measured with rsyslogd, BRE and ERE)', () => {
    expect(matches('', 'bre', 'x')).to.equal(true);
    expect(matches('', 'ere', '#a')).to.equal(true);
  });

  it('refuses what it cannot translate exactly, saying why', () => {
    expect(error('(a)\\1', 'ere')).to.match(/backreference/);
    expect(error('\\(a\\)\\1', 'bre')).to.match(/backreference/);
    expect(error('a**', 'ere')).to.match(/two repetition operators/);
    expect(error('[[=a=]]', 'ere')).to.match(/equivalence/);
    expect(error('[[:nope:]]', 'ere')).to.match(/unknown character class/);
    expect(error('\\<a', 'ere')).to.match(/does not translate/);
    expect(error('a{,2}', 'ere')).to.match(/interval/);
    expect(error('(a', 'ere')).to.match(/unmatched \(/);
    expect(error('a)', 'ere')).to.match(/unmatched \)/);
    expect(error('+a', 'ere')).to.match(/does not follow/);
    expect(error('a|', 'ere')).to.match(/empty alternative/);
    expect(error('[a', 'ere')).to.match(/unterminated/);
    expect(error('[z-a]', 'ere')).to.match(/invalid range/);
    expect(error('a\\', 'bre')).to.match(/lone backslash/);
  });
});
