// A clone must test green wherever it is checked out: no tracked source, test, script or document may name one
// machine's absolute path or reach outside the checkout for its data (the shared folder beside the repository).

import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../helpers/fixture-paths';

/** Text that only resolves on the machine it was written on. */
const MACHINE_PATHS = [/\/work\/(main|shared|wt)\b/, /\.\.\/shared\//, /\/home\/[a-z]/, /\/root\//];

/** Data copied unchanged from elsewhere: its own text may name where it was first kept. */
const COPIED_UNCHANGED = ['test/fixtures/zeek-cases/', 'test/fixtures/elsa/'];

function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => /\.(ts|js|json|sh|md|conf|cfg)$/.test(f) || f === '.ci/run' || f === 'Dockerfile')
    .filter((f) => !COPIED_UNCHANGED.some((dir) => f.startsWith(dir)));
}

describe('portable paths', () => {
  it('no tracked file names a machine path or the shared folder outside the checkout', () => {
    const files = trackedTextFiles();
    expect(files.length, 'git ls-files found the sources').to.be.greaterThan(100);
    const offenders: string[] = [];
    for (const file of files) {
      const full = path.join(REPO_ROOT, file);
      if (!fs.existsSync(full)) continue;
      fs.readFileSync(full, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (MACHINE_PATHS.some((re) => re.test(line))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders, offenders.join('\n')).to.deep.equal([]);
  });

  it('the fixtures the tests read are in the checkout, each with its licence', () => {
    for (const f of ['zeek-cases/COPYING', 'zeek-cases/index.json', 'elsa/LICENSE', 'elsa/patterndb.xml', 'README.md']) {
      expect(fs.existsSync(path.join(REPO_ROOT, 'test', 'fixtures', f)), f).to.equal(true);
    }
  });
});
