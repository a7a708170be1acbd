// The forwarding part of a selector line (`@host`, `@@(o)[::1]:6514;RSYSLOG_ForwardFormat`, `:omrelp:host:port`)
// and the built-in template names, shared with RainerScript `action(type="omfwd" template=...)`.

import type { ForwardTemplate, TcpFraming, TransportProtocol } from './agent-config';
import { parsePort } from './config-values';

export const DEFAULT_SYSLOG_PORT = 514;

/**
 * Largest RELP window accepted (omrelp `windowSize`, JSON `relpWindow`): librelp keeps the window in a C int, and
 * its relpCltSetWindowSize() refuses a negative size and treats 0 as "keep the default" (128). rsyslog 8.2302's
 * `rsyslogd -N1` rejects windowSize="-1", "abc" and "4.5" and accepts "0"; it also accepts 99999999999, which
 * cannot fit in librelp's int, so nsm reports anything above this bound instead.
 */
export const MAX_RELP_WINDOW = 2_147_483_647;

export const FORWARD_TEMPLATES: readonly ForwardTemplate[] = [
  'RSYSLOG_TraditionalForwardFormat',
  'RSYSLOG_ForwardFormat',
  'RSYSLOG_SyslogProtocol23Format',
];

/** The template an action uses when it names none: omrelp's default differs from omfwd's, as in rsyslog. */
export function defaultForwardTemplate(protocol: TransportProtocol): ForwardTemplate {
  return protocol === 'relp' ? 'RSYSLOG_ForwardFormat' : 'RSYSLOG_TraditionalForwardFormat';
}

/** Template names are matched exactly, as rsyslog does; the error lists the ones nsm has. */
export function parseForwardTemplate(name: string): ForwardTemplate | { error: string } {
  const found = FORWARD_TEMPLATES.find((t) => t === name);
  if (found) return found;
  const hint = FORWARD_TEMPLATES.find((t) => t.toLowerCase() === name.toLowerCase());
  return {
    error: hint
      ? `unknown template '${name}' (template names are case-sensitive: did you mean ${hint}?)`
      : `unknown template '${name}' (nsm knows ${FORWARD_TEMPLATES.join(', ')})`,
  };
}

export interface LegacyForwardTarget {
  protocol: Extract<TransportProtocol, 'udp' | 'tcp' | 'relp'>;
  host: string;
  port: number;
  framing: TcpFraming;
  /** Undefined when the line names none (the caller applies `$ActionForwardDefaultTemplate` or the default). */
  template?: ForwardTemplate;
  /** Non-fatal remarks, e.g. ignored compression options. */
  warnings: string[];
}

export type LegacyActionParse =
  | { kind: 'forward'; target: LegacyForwardTarget }
  | { kind: 'other'; description: string }
  | { kind: 'error'; message: string };

/** Parses the action text of a selector line. */
export function parseLegacyAction(text: string): LegacyActionParse {
  const semi = text.indexOf(';');
  const main = (semi < 0 ? text : text.slice(0, semi)).trim();
  const templateName = semi < 0 ? undefined : text.slice(semi + 1).trim();
  let template: ForwardTemplate | undefined;
  if (templateName !== undefined) {
    if (templateName === '') return { kind: 'error', message: `'${text}': empty template name after ';'` };
    const t = parseForwardTemplate(templateName);
    if (typeof t !== 'string') {
      if (!main.startsWith('@') && !main.toLowerCase().startsWith(':omrelp:')) return classifyOther(main);
      return { kind: 'error', message: t.error };
    }
    template = t;
  }
  const warnings: string[] = [];
  let rest: string;
  let protocol: LegacyForwardTarget['protocol'];
  let framing: TcpFraming = 'lf';
  if (main.toLowerCase().startsWith(':omrelp:')) {
    protocol = 'relp';
    rest = main.slice(':omrelp:'.length);
  } else if (main.startsWith('@@')) {
    protocol = 'tcp';
    rest = main.slice(2);
  } else if (main.startsWith('@')) {
    protocol = 'udp';
    rest = main.slice(1);
  } else {
    return classifyOther(main);
  }
  if (protocol !== 'relp' && rest.startsWith('(')) {
    const close = rest.indexOf(')');
    if (close < 0) return { kind: 'error', message: `'${main}': missing ')' after the forwarding options` };
    for (const opt of rest.slice(1, close).split(',').map((o) => o.trim())) {
      if (opt === 'o') {
        if (protocol === 'udp') warnings.push(`'${main}': octet-counted framing (o) applies to TCP only; ignored for UDP`);
        else framing = 'octet-counted';
      } else if (/^z\d$/.test(opt)) {
        warnings.push(`'${main}': compression option (${opt}) is not supported by nsm; messages are sent uncompressed`);
      } else {
        return { kind: 'error', message: `'${main}': unknown forwarding option '${opt}' (known: o, z0..z9)` };
      }
    }
    rest = rest.slice(close + 1);
  }
  const hostPort = parseHostPort(rest);
  if ('error' in hostPort) return { kind: 'error', message: `'${main}': ${hostPort.error}` };
  return { kind: 'forward', target: { protocol, host: hostPort.host, port: hostPort.port, framing, template, warnings } };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`; default port 514. */
export function parseHostPort(text: string): { host: string; port: number } | { error: string } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { error: "missing ']' after the IPv6 address" };
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { error: `unexpected '${after}' after ']'` };
      portText = after.slice(1);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) return { error: 'an IPv6 address must be written in brackets, e.g. [::1]:514' };
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (host === '') return { error: 'no host given' };
  if (/\s/.test(host)) return { error: `host '${host}' contains whitespace` };
  if (portText === undefined) return { host, port: DEFAULT_SYSLOG_PORT };
  const port = parsePort(portText);
  if (port === undefined) return { error: `bad port '${portText}' (must be 1..65535)` };
  return { host, port };
}

function classifyOther(main: string): LegacyActionParse {
  if (main === '~' || main.toLowerCase() === 'stop') return { kind: 'other', description: 'discard (~/stop)' };
  if (main.startsWith('/') || main.startsWith('-/')) return { kind: 'other', description: `write to file ${main.replace(/^-/, '')}` };
  if (main.startsWith('?')) return { kind: 'other', description: `write to dynamic file ${main}` };
  if (main.startsWith('|')) return { kind: 'other', description: `write to pipe ${main.slice(1)}` };
  if (main.startsWith(':om')) return { kind: 'other', description: `output module ${main.split(':')[1]}` };
  if (main === '*' || /^[A-Za-z_][\w,-]*$/.test(main)) return { kind: 'other', description: `message to users ${main}` };
  return { kind: 'error', message: `unrecognised action '${main}'` };
}
