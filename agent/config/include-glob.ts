// Expands the file patterns of `$IncludeConfig` / `include(file=...)` and `nsm check -d`: `*`, `?` and
// `[...]` in any path component, results in byte order as rsyslog's glob() sorts them; a directory means its files.

import * as fs from 'fs';
import * as path from 'path';

function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort(byteOrder);
  } catch {
    return [];
  }
}

/** Absolute paths of the regular files matching an absolute pattern (hidden files only when named explicitly). */
export function expandIncludePattern(absolutePattern: string): string[] {
  const parts = absolutePattern.split('/').filter((p) => p !== '');
  let candidates = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of candidates) {
      if (!hasWildcard(part)) {
        next.push(path.join(base, part));
        continue;
      }
      const re = componentRegExp(part);
      for (const name of listDir(base)) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(name)) next.push(path.join(base, name));
      }
    }
    candidates = next;
  }
  const files: string[] = [];
  for (const c of candidates) {
    let st: fs.Stats;
    try {
      st = fs.statSync(c);
    } catch {
      continue;
    }
    if (st.isFile()) files.push(c);
    else if (st.isDirectory()) {
      for (const name of listDir(c)) {
        const full = path.join(c, name);
        if (!name.startsWith('.') && isFile(full)) files.push(full);
      }
    }
  }
  return files;
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function patternHasWildcard(pattern: string): boolean {
  return hasWildcard(pattern);
}

/** `nsm check -d DIR`: every `*.conf` file directly in DIR, in byte order of their names. */
export function configFilesInDirectory(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .sort(byteOrder)
    .map((n) => path.join(dir, n))
    .filter(isFile);
}
