// Reading real files: -d DIR in name order, $IncludeConfig / include() globs in place, include loops,
// missing files, and the work directory check.

import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { loadAgentConfig } from '../../../agent/config/config-loader';
import { diagnosticLines, makeTempDir } from './config-test-helpers';

describe('config loader', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('loader');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };

  it('-d reads every *.conf in name order; a block ends with its file', () => {
    write('20-b.conf', '$InputFileName /b.log\n$InputFileTag b:\n');
    write('10-a.conf', '$ModLoad imfile\n$InputFileName /a.log\n');
    write('30-c.conf.disabled', '$InputFileName /c.log\n');
    write('40-fwd.conf', 'local7.* @@127.0.0.1\n');
    const c = loadAgentConfig({ dir, defaultWorkDirectory: dir });
    expect(c.sources).to.deep.equal(['10-a.conf', '20-b.conf', '40-fwd.conf'].map((n) => path.join(dir, n)));
    expect(c.files.map((f) => [f.path, f.tag])).to.deep.equal([['/a.log', ''], ['/b.log', 'b:']]);
    expect(c.diagnostics.filter((d) => d.severity === 'error')).to.deep.equal([]);
    expect(c.workDirectory).to.equal(dir);
  });

  it('follows $IncludeConfig and include() globs in place, relative to the including file', () => {
    const main = write('main.conf', `$ModLoad imfile
$IncludeConfig conf.d/*.conf
include(file="${dir}/extra/one.inc")
include(file="missing-optional.conf" mode="optional")
local7.* @@127.0.0.1
`);
    write('conf.d/b.conf', '$InputFileName /b.log\n$InputFileTag b:\n$InputRunFileMonitor\n');
    write('conf.d/a.conf', '$InputFileName /a.log\n$InputFileTag a:\n$InputRunFileMonitor\n');
    write('extra/one.inc', 'input(type="imfile" File="/c.log" Tag="c:")\n');
    const c = loadAgentConfig({ file: main, defaultWorkDirectory: dir });
    expect(diagnosticLines(c)).to.deep.equal([]);
    expect(c.files.map((f) => [f.path, f.where.file])).to.deep.equal([
      ['/a.log', path.join(dir, 'conf.d/a.conf')], ['/b.log', path.join(dir, 'conf.d/b.conf')], ['/c.log', path.join(dir, 'extra/one.inc')],
    ]);
  });

  it('reports include loops, missing includes and missing config files without throwing', () => {
    const a = write('a.conf', '$IncludeConfig b.conf\n$IncludeConfig nothere.conf\n');
    write('b.conf', '\n$IncludeConfig a.conf\n');
    const c = loadAgentConfig({ file: a, defaultWorkDirectory: dir });
    expect(diagnosticLines(c, 'error')).to.deep.equal([
      `${a}:2: error: included file nothere.conf does not exist`,
      `${path.join(dir, 'b.conf')}:2: error: ${a} includes itself (include loop): not read again`,
    ]);
    const missing = path.join(dir, 'none.conf');
    const m = loadAgentConfig({ file: missing, defaultWorkDirectory: dir });
    expect(diagnosticLines(m, 'error')).to.deep.equal([`${missing}: error: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`]);
    expect(diagnosticLines(loadAgentConfig({ dir: path.join(dir, 'nodir'), defaultWorkDirectory: dir }), 'error')).to.have.length(1);
  });

  it('a configured work directory must exist and be a directory', () => {
    const ok = write('ok.conf', `$WorkDirectory ${dir}\n`);
    expect(diagnosticLines(loadAgentConfig({ file: ok, defaultWorkDirectory: '/x' }), 'error')).to.deep.equal([]);
    const gone = write('gone.conf', `\n$WorkDirectory ${dir}/gone\n`);
    expect(diagnosticLines(loadAgentConfig({ file: gone, defaultWorkDirectory: '/x' }), 'error')).to.deep.equal([
      `${gone}:2: error: work directory ${dir}/gone does not exist (ENOENT): the agent could not keep its state files there`,
    ]);
    const notDir = write('file.conf', `global(workDirectory="${gone}")\n`);
    expect(diagnosticLines(loadAgentConfig({ file: notDir, defaultWorkDirectory: '/x' }), 'error')).to.deep.equal([
      `${notDir}:1: error: work directory ${gone} is not a directory`,
    ]);
    expect(diagnosticLines(loadAgentConfig({ file: gone, defaultWorkDirectory: '/x', checkWorkDirectory: false }), 'error')).to.deep.equal([]);
  });
});
