// Reads rsyslog config files (one file, or every *.conf of a directory in name order), follows includes in
// place, and produces the normalised `AgentConfig` with its diagnostics. The only entry point the agent needs:
// a `-f` file named *.json is nsm's native JSON config instead (json-config.ts).

import * as fs from 'fs';
import * as path from 'path';
import type { AgentConfig, SourceLocation } from './agent-config';
import { ConfigBuilder } from './config-builder';
import type { IncludeHandler } from './legacy-directives';
import { applyLegacyDirective, endLegacyFile } from './legacy-directives';
import { configFilesInDirectory, expandIncludePattern, isFile, patternHasWildcard } from './include-glob';
import { ALL_MESSAGES, applyObject } from './rainerscript';
import { priorityFilter } from './routing-rules';
import { parseSelectorList } from './syslog-selector';
import { applyAction, applySelectorStatement } from './selector-line';
import { scanStatements, Statement } from './statement-scanner';
import { checkWorkDirectory } from './work-directory';

export interface LoadAgentConfigOptions {
  /** One config file (`nsm check -f`, `rsyslogd -f`). */
  file?: string;
  /** A directory whose `*.conf` files are read in name order (`nsm check -d`, like /etc/rsyslog.d). */
  dir?: string;
  /** Used when the config sets no `$WorkDirectory` / `global(workDirectory=)`. */
  defaultWorkDirectory: string;
  /** Check that a configured work directory exists and is writable (default true). */
  checkWorkDirectory?: boolean;
}

/** Includes nested deeper than this are reported as a loop (rsyslog has a similar limit). */
const MAX_INCLUDE_DEPTH = 16;

class ConfigReader {
  readonly b = new ConfigBuilder();
  private readonly stack: string[] = [];

  readFile(file: string, includedFrom?: SourceLocation): void {
    const abs = path.resolve(file);
    const where = includedFrom ?? { file, line: 0 };
    if (this.stack.includes(abs)) {
      this.b.diags.error(where, `${file} includes itself (include loop): not read again`);
      return;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.b.diags.error(where, `includes nested more than ${MAX_INCLUDE_DEPTH} deep: ${file} not read`);
      return;
    }
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (err) {
      this.b.diags.error(where, `cannot read ${file}: ${(err as Error).message}`);
      return;
    }
    this.readText(text, file, abs);
  }

  /** `file` is the name used in diagnostics; `abs` anchors relative includes. */
  readText(text: string, file: string, abs: string = path.resolve(file)): void {
    this.stack.push(abs);
    this.b.sources.push(file);
    const include: IncludeHandler = (pattern, where, optional) => this.include(pattern, where, optional, path.dirname(abs));
    this.applyStatements(scanStatements(text, file, this.b.diags), file, include);
    endLegacyFile(this.b, file);
    this.stack.pop();
  }

  /** Applies statements in order; a filter's statements go into its block of the rule program. */
  private applyStatements(statements: readonly Statement[], file: string, include: IncludeHandler): void {
    for (const stmt of statements) {
      const where = { file, line: stmt.line };
      switch (stmt.kind) {
        case 'legacy':
          applyLegacyDirective(stmt, file, this.b, include);
          break;
        case 'object':
          applyObject(stmt, file, this.b, include);
          break;
        case 'selector':
          applySelectorStatement(stmt, file, this.b);
          break;
        case 'selector-block': {
          const parsed = parseSelectorList(stmt.selector);
          if ('error' in parsed) {
            this.b.diags.error(where, parsed.error);
            break;
          }
          const block = this.b.addCondition(priorityFilter(parsed.selectors), where).then;
          this.b.inBlock(block, () => this.applyStatements(stmt.body, file, include));
          this.b.lastFilterBlock = undefined; // rsyslog has no `&` after a block
          break;
        }
        case 'action':
          applyAction(stmt.action, file, where, this.b, ALL_MESSAGES);
          // rsyslog would join a following `&` to this unfiltered action list; nsm reports it instead (see below).
          this.b.lastFilterBlock = undefined;
          break;
        case 'property-filter': {
          if (stmt.filter === undefined) break; // reported by the scanner
          const block = this.b.addCondition(stmt.filter, where).then;
          this.b.inBlock(block, () => this.applyStatements(stmt.body, file, include));
          // Set after the body, whose own statements would clear it: `&` lines continue this filter.
          this.b.lastSelector = undefined;
          this.b.lastFilterBlock = block;
          break;
        }
        case 'if': {
          if (stmt.condition === undefined) break; // reported by the scanner
          const blocks = this.b.addCondition(stmt.condition, where);
          this.b.inBlock(blocks.then, () => this.applyStatements(stmt.then, file, include));
          this.b.inBlock(blocks.else, () => this.applyStatements(stmt.else, file, include));
          // An `&` after `if ... then ACTION` belongs to that branch in rsyslog's grammar: rather than guess which,
          // it is an error ('&' with nothing to continue), never a silent join to an older selector line.
          this.b.lastFilterBlock = undefined;
          break;
        }
        case 'unsupported':
          this.b.diags.error(where, stmt.message);
          break;
      }
    }
  }

  /** Relative include paths are taken relative to the including file's directory. */
  private include(pattern: string, where: SourceLocation, optional: boolean, baseDir: string): void {
    const abs = path.resolve(baseDir, pattern);
    const files = expandIncludePattern(abs);
    if (files.length === 0 && !patternHasWildcard(pattern) && !optional) {
      this.b.diags.error(where, `included file ${pattern} does not exist`);
      return;
    }
    for (const f of files) this.readFile(f, where);
  }

  readDirectory(dir: string): void {
    let files: string[];
    try {
      files = configFilesInDirectory(dir);
    } catch (err) {
      this.b.diags.error({ file: dir, line: 0 }, `cannot read directory: ${(err as Error).message}`);
      return;
    }
    if (files.length === 0) this.b.diags.warning({ file: dir, line: 0 }, 'no *.conf files in this directory');
    for (const f of files) this.readFile(f);
  }

  finish(opts: { defaultWorkDirectory: string; checkWorkDirectory?: boolean }): AgentConfig {
    const wd = this.b.workDirectory;
    if (wd && opts.checkWorkDirectory !== false) checkWorkDirectory(wd.path, wd.where, this.b.diags);
    const config = this.b.finish(opts.defaultWorkDirectory);
    if (config.files.length === 0) {
      this.b.diags.warning({ file: config.sources[0] ?? '(no config)', line: 0 }, 'no files to monitor ($InputFileName or input(type="imfile"))');
    }
    if (config.actions.length === 0) {
      this.b.diags.warning({ file: config.sources[0] ?? '(no config)', line: 0 }, 'no forwarding action (@host, @@host or action(type="omfwd")): lines would be read but sent nowhere');
    }
    // Report in reading order: by file (as read), then line; stable, so one line's messages keep their order.
    const fileOrder = new Map(config.sources.map((f, i) => [f, i] as const));
    config.diagnostics.sort((x, y) => (fileOrder.get(x.file) ?? -1) - (fileOrder.get(y.file) ?? -1) || x.line - y.line);
    return config;
  }
}

/** Reads the config named by `file` or `dir` (exactly one). Bad input gives diagnostics, never an exception. */
/** `-f FILE` is read as a JSON config when its name ends in `.json`; everything else is rsyslog syntax. */
export function isJsonConfigFile(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}

export function loadAgentConfig(opts: LoadAgentConfigOptions): AgentConfig {
  const reader = new ConfigReader();
  if ((opts.file === undefined) === (opts.dir === undefined)) {
    reader.b.diags.error({ file: '(arguments)', line: 0 }, 'give exactly one of a config file (-f) or a config directory (-d)');
  } else if (opts.file !== undefined) {
    if (!isFile(opts.file) && fs.existsSync(opts.file)) {
      reader.b.diags.error({ file: opts.file, line: 0 }, 'is not a regular file (use -d for a directory)');
    } else if (isJsonConfigFile(opts.file)) {
      // Loaded only for a JSON config: it brings ajv, about 4 MB of the agent's resident memory (bench/agent).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { loadJsonAgentConfig } = require('./json-config') as typeof import('./json-config');
      return loadJsonAgentConfig(opts.file, opts);
    } else {
      reader.readFile(opts.file);
    }
  } else if (opts.dir !== undefined) {
    reader.readDirectory(opts.dir);
  }
  return reader.finish(opts);
}

/** Parses config text as if it were the file `fileName` (tests, and configs that do not live in a file). */
export function parseAgentConfigText(
  text: string,
  fileName: string,
  opts: { defaultWorkDirectory: string; checkWorkDirectory?: boolean },
): AgentConfig {
  const reader = new ConfigReader();
  reader.readText(text, fileName);
  return reader.finish(opts);
}

/** True when the config has errors: the agent must not start with it. */
export function hasConfigErrors(config: AgentConfig): boolean {
  return config.diagnostics.some((d) => d.severity === 'error');
}
