// Reading filters from rsyslog configs: what is accepted, and `file:line: what is wrong` for what nsm cannot run
// exactly as rsyslogd 8.2302 would (never silently ignored).

import { expect } from 'chai';
import { parseAgentConfigText } from '../../../agent/config/config-loader';
import { describeProgram } from '../../../agent/filter/rule-program';

function parse(text: string) {
  return parseAgentConfigText(text, 't.conf', { defaultWorkDirectory: '/tmp', checkWorkDirectory: false });
}

function problems(text: string): string[] {
  return parse(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}: ${d.message}`);
}

function program(text: string): string[] {
  const c = parse(text);
  expect(problems(text)).to.deep.equal([]);
  return describeProgram(c.rules!, (i) => `${c.actions[i].host}`).map((l) => l.replace(/ {2}\(t\.conf:\d+\)$/, ''));
}

describe('filters in the rsyslog config', () => {
  it('legacy property filters: operations, negation, case-insensitive names, rsyslog\'s value escapes', () => {
    expect(program(':MSG, !Contains, "a\\"b\\\\c" @@h1\n:rawmsg, isempty, "" stop\n:programname, ereregex, "^bro_(conn|dns)$" ~\n')).to.deep.equal([
      'if :msg, !contains, "a\\"b\\\\c" then',
      '  -> h1',
      'if :rawmsg, isempty then',
      '  stop',
      'if :programname, ereregex, "^bro_(conn|dns)$" then',
      '  stop',
    ]);
  });

  it('RainerScript: if/then/else, blocks, arrays, the _i operations, single-quoted strings', () => {
    expect(program([
      'if $msg startswith [\'#\', "x"] then stop',
      'if not ($syslogtag == "a:") then {',
      '  action(type="omfwd" target="h1")',
      '} else if $programname contains_i "BRO" then action(type="omfwd" target="h2")',
      'else @@h3',
      '',
    ].join('\n'))).to.deep.equal([
      'if $msg startswith "#" or $msg startswith "x" then',
      '  stop',
      'if not ($syslogtag == "a:") then',
      '  -> h1',
      'else',
      '  if $programname contains_i "BRO" then',
      '    -> h2',
      '  else',
      '    -> h3',
    ]);
  });

  it('reports what it cannot run exactly as rsyslog, at the line', () => {
    expect(problems([
      'module(load="imfile")',
      ':hostname, startswith, "x" stop',
      ':msg, contains_i, "x" stop',
      ':msg,\tcontains, "x" stop',
      ':msg, regex, "\\\\(a\\\\)\\\\1" stop',
      'if not $msg startswith "#" then stop',
      'if $msg startswith "#"',
      '  and $fromhost == "x" then stop',
      'if $msg < "x" then stop',
      'if $msg == 5 then stop',
      'if re_match($msg, "x") then stop',
      'if $msg contains "$x" then stop',
      'if $msg then stop',
      ':msg, startswith, "#"',
      '',
    ].join('\n'))).to.deep.equal([
      't.conf:2: property filter on \'hostname\': nsm filters on msg, rawmsg, programname, syslogtag only',
      't.conf:3: invalid compare operation \'contains_i\' (contains, isequal, startswith, regex, ereregex or isempty) (the _i forms exist in RainerScript only: if $msg contains_i "x" then ...)',
      't.conf:4: a property filter must read :property, [!]operation, "value" (rsyslog allows only spaces around the commas)',
      't.conf:5: regex "\\(a\\)\\1": backreference \\1 is not supported by nsm\'s filters',
      't.conf:6: rsyslog reads `not X op Y` as `(not X) op Y`; write not (X op Y)',
      't.conf:8: $fromhost: nsm filters on msg, rawmsg, programname, syslogtag only',
      't.conf:9: the operator \'<\' is not supported by nsm\'s filters (==, !=, contains, contains_i, startswith, startswith_i, and, or, not)',
      't.conf:10: numbers are compared as numbers by rsyslog; nsm\'s filters compare strings: write "5"',
      't.conf:11: the function re_match() is not supported by nsm\'s filters',
      't.conf:12: a $ inside double quotes must be escaped as \\$ (rsyslog rejects it)',
      't.conf:13: nsm runs conditions that compare a property (e.g. $msg startswith "#"); a bare value is not one',
      't.conf:14: the property filter has no action on its line',
    ]);
  });

  it('& after an if or a bare action is an error, never a join to an older selector line', () => {
    expect(problems('local7.* @@h1\nif $msg contains "x" then stop\n& @@h2\naction(type="omfwd" target="h3")\n& @@h4\n')).to.deep.equal([
      't.conf:3: \'&\' continues the previous selector or filter line, but there is none before it',
      't.conf:5: \'&\' continues the previous selector or filter line, but there is none before it',
    ]);
    expect(problems('{ @@h1\n}\nif $msg contains "x" then { { @@h2\n} }\n')).to.deep.equal([
      't.conf:1: unexpected \'{\' (a block follows a filter: if ... then { ... })',
      't.conf:3: unexpected \'{\' (a block follows a filter: if ... then { ... })',
    ]);
    // Directives between a selector line and its & lines do not break the chain.
    expect(problems('local7.* @@h1\n$ActionSendStreamDriverMode 0\n& @@h2\n')).to.deep.equal([]);
  });

  it('a bad filter drops its statement, not the rest of the config', () => {
    const c = parse('module(load="imfile")\nif $nope == "x" then {\n  @@h1\n}\n*.* @@h2\n');
    expect(c.actions.map((a) => a.host)).to.deep.equal(['h2']);
  });
});
