// The effective control configuration: every broctl option with the file's value or its default, `${Option}`
// references replaced as broctl does, the values broctl derives itself (Version, OS, StandAlone,
// LogExpireMinutes…), and the checks on the options nsm uses, each reported at the line that set the option.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DiagnosticList } from '../../agent/config/diagnostic-list';
import type { CtlConfigFile, OptionValue, SetOption } from './ctl-config-reader';
import { OPTIONS, optionForKey } from './ctl-options';
import { parseEnvVars } from './env-vars';

export interface ResolveContext {
  home: string;
  version: string;
  /** Nodes in node.cfg (StandAlone is true with exactly one). */
  nodeCount: number;
  user?: string;
  hostname?: string;
  /** Where problems with defaults are reported when no control file exists (the nsmctl.cfg that would be read). */
  defaultFile?: string;
}

export interface CtlConfig {
  /** The file read, or undefined when none exists (defaults only). */
  file?: string;
  /** Every option by lower-cased name. */
  values: Map<string, OptionValue>;
}

/** `${Name}` or `${Name:fallback}`, as broctl's Config.subst matches them. */
const REFERENCE = /\$\{([A-Za-z][A-Za-z0-9]*)(?::([^}]+))?\}/;

/** broctl's LogExpireInterval: a bare integer is days; else `N day|hr|min` (plural s and one space allowed). */
export function intervalMinutes(text: string): number | undefined {
  if (/^[+-]?\d+$/.test(text)) return Number(text) * 24 * 60;
  const m = /^([0-9]+) ?(day|hr|min)s?$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'day' ? 24 * 60 : m[2] === 'hr' ? 60 : 1);
}

export function resolveCtlConfig(file: CtlConfigFile | undefined, ctx: ResolveContext, diags: DiagnosticList): CtlConfig {
  const set = file?.set ?? new Map<string, SetOption>();
  const raw = new Map<string, OptionValue>();
  for (const o of OPTIONS) raw.set(o.name.toLowerCase(), o.default);
  // Defaults broctl derives at run time (the option table holds placeholders for them).
  const user = ctx.user ?? process.env.USER ?? os.userInfo().username;
  raw.set('zeekbase', ctx.home);
  raw.set('zeekscriptdir', '');
  raw.set('version', ctx.version);
  raw.set('os', os.type());
  raw.set('mailto', user);
  raw.set('mailfrom', `Zeek <zeek@${ctx.hostname ?? os.hostname()}>`);
  for (const [key, s] of set) raw.set(key, s.value);
  raw.set('standalone', ctx.nodeCount === 1);

  const values = new Map<string, OptionValue>();
  const where = (key: string) => ({ file: file?.file ?? ctx.defaultFile ?? 'nsmctl.cfg', line: set.get(key)?.line ?? 0 });
  const looped = new Set<string>();
  // Each value with its references replaced by the referred option's final value (which may hold references too).
  const resolve = (key: string, stack: string[]): OptionValue => {
    const done = values.get(key);
    if (done !== undefined) return done;
    const v = raw.get(key) ?? '';
    if (typeof v !== 'string') {
      values.set(key, v);
      return v;
    }
    let out = '';
    let rest = v;
    for (let m = REFERENCE.exec(rest); m; m = REFERENCE.exec(rest)) {
      const spec = optionForKey(m[1]);
      const ref = spec ? spec.name.toLowerCase() : m[1].toLowerCase();
      let value = '';
      if (stack.includes(ref) || ref === key) {
        if (!looped.has(ref)) diags.error(where(ref), `\${${m[1]}} in ${optionForKey(ref)?.name ?? ref} refers back to itself (a loop): replaced by nothing`);
        looped.add(ref);
      } else if (raw.has(ref)) {
        value = String(resolve(ref, [...stack, key]));
      } else {
        value = m[2] ?? '';
        if (set.has(key) && m[2] === undefined) diags.warning(where(key), `\${${m[1]}} names no option: replaced by nothing`);
      }
      out += rest.slice(0, m.index) + value;
      rest = rest.slice(m.index + m[0].length);
    }
    out += rest;
    values.set(key, out);
    return out;
  };
  for (const key of raw.keys()) resolve(key, []);
  // Bool defaults are written 0/1 in the table; broctl holds them as booleans.
  for (const o of OPTIONS) {
    const key = o.name.toLowerCase();
    if (o.type === 'bool' && typeof values.get(key) === 'number') values.set(key, values.get(key) === 1);
  }
  values.set('mailalarmsto', set.has('mailalarmsto') ? values.get('mailalarmsto')! : values.get('mailto')!);

  checkOptions(values, set, where, diags, ctx);
  return { file: file?.file, values };
}

function checkOptions(
  values: Map<string, OptionValue>,
  set: Map<string, SetOption>,
  where: (key: string) => { file: string; line: number },
  diags: DiagnosticList,
  ctx: ResolveContext,
): void {
  const num = (key: string) => values.get(key) as number;
  const str = (key: string) => values.get(key) as string;

  const expire = intervalMinutes(str('logexpireinterval'));
  if (expire === undefined) {
    diags.error(where('logexpireinterval'), `value of option LogExpireInterval is invalid (value must be integer followed by a time unit "day", "hr", or "min"): ${str('logexpireinterval')}`);
    values.set('logexpireminutes', 0);
  } else {
    values.set('logexpireminutes', expire);
    if (expire < 0) diags.error(where('logexpireinterval'), 'LogExpireInterval cannot be negative');
    else if (expire > 0 && expire * 60 < num('logrotationinterval')) {
      diags.error(where('logexpireinterval'), `Log expire interval cannot be shorter than the log rotation interval (${str('logexpireinterval')} < ${num('logrotationinterval')} s)`);
    }
  }
  for (const [key, what] of [['logrotationinterval', 'seconds (0: no rotation)'], ['crashexpireinterval', 'days (0: never)'], ['statslogexpireinterval', 'days (0: never)'], ['stoptimeout', 'seconds']] as const) {
    if (num(key) < 0) diags.error(where(key), `${optionForKey(key)!.name} must be 0 or more ${what}: ${num(key)}`);
  }
  const disk = num('mindiskspace');
  if (disk < 0 || disk > 100) diags.error(where('mindiskspace'), `MinDiskSpace is a percentage from 0 (no warning) to 100: ${disk}`);

  const envVars = str('env_vars');
  if (envVars !== '') {
    const parsed = parseEnvVars(envVars);
    if (typeof parsed === 'string') diags.error(where('env_vars'), `Env_Vars: ${parsed}`);
  }

  for (const key of ['logdir', 'spooldir', 'cfgdir']) {
    const dir = str(key);
    const name = optionForKey(key)!.name;
    if (!path.isAbsolute(dir)) diags.error(where(key), `${name} must be an absolute path: ${dir}`);
    else if (set.has(key) && !isDirectory(dir)) diags.warning(where(key), `${name} directory not found: ${dir}`);
  }
  const etc = path.join(ctx.home, 'etc');
  if (set.has('cfgdir') && path.resolve(str('cfgdir')) !== path.resolve(etc)) {
    diags.warning(where('cfgdir'), `CfgDir ${str('cfgdir')}: nsm reads node.cfg and networks.cfg from ${etc} (the nsm home's etc)`);
  }
  const sendmail = str('sendmail');
  if (sendmail !== '' && !isExecutable(sendmail)) {
    diags.warning(where('sendmail'), `SendMail ${sendmail}${set.has('sendmail') ? '' : ' (the default)'} is not an executable file: no mail can be sent (set SendMail = to send none)`);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** broctl's `config` output: every option as `key = value`, sorted by name; booleans as True/False as broctl prints. */
export function formatConfig(values: Map<string, OptionValue>): string[] {
  return [...values.keys()].sort().map((k) => `${k} = ${formatValue(values.get(k)!)}`);
}

export function formatValue(v: OptionValue): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}
