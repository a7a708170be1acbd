// Where the test fixtures are, resolved from the repository root, so the tests run from any checkout.

import * as path from 'path';

/** The repository root (tests run from dist/test/..., three levels below it). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');

/** Zeek's own test traces with the logs Zeek wrote for them (see test/fixtures/README.md). */
export const ZEEK_CASES_DIR = path.join(FIXTURES_DIR, 'zeek-cases');

/** ELSA's published receiver config, pattern database and schema (GPL-2.0 test data). */
export const ELSA_DIR = path.join(FIXTURES_DIR, 'elsa');

/** Loopback captures recorded for nsm. */
export const PCAPS_DIR = path.join(FIXTURES_DIR, 'pcaps');
