// Legacy selector lines (`local7.* @@127.0.0.1:514`, `*.info;mail.none @host`, `& @@other`): the selector,
// then a forwarding action nsm runs, `stop`/`~`, or another kind of action it reports and ignores.

import type { ForwardAction, SourceLocation, SyslogSelector } from './agent-config';
import type { ConfigBuilder } from './config-builder';
import { defaultForwardTemplate, parseLegacyAction } from './forward-target';
import { ALL_MESSAGES, applyActionObject } from './rainerscript';
import { priorityFilter } from './routing-rules';
import type { ObjectStatement, SelectorStatement } from './statement-scanner';
import { parseSelectorList } from './syslog-selector';

/** `SELECTOR ACTION` or `& ACTION`: the action under the selector (or under the last line's filter, for `&`). */
export function applySelectorStatement(stmt: SelectorStatement, file: string, b: ConfigBuilder): void {
  const where = { file, line: stmt.line };
  if (stmt.selector === null) {
    const block = b.lastFilterBlock;
    if (block === undefined) {
      b.diags.error(where, "'&' continues the previous selector or filter line, but there is none before it");
      return;
    }
    const selector = b.lastSelector ?? ALL_MESSAGES;
    b.inBlock(block, () => applyAction(stmt.action, file, where, b, selector));
    return;
  }
  const parsed = parseSelectorList(stmt.selector);
  if ('error' in parsed) {
    b.diags.error(where, parsed.error);
    b.lastSelector = undefined;
    b.lastFilterBlock = undefined;
    return;
  }
  const selector = parsed.selectors;
  b.lastSelector = selector;
  const block = b.addCondition(priorityFilter(selector), where).then;
  b.lastFilterBlock = block;
  b.inBlock(block, () => applyAction(stmt.action, file, where, b, selector));
}

/**
 * One action where the config reading is: `stop` or `~` (discard), a legacy forward (`@@host`), an `action(...)`,
 * or another kind of action nsm reports and ignores. `selector` is only recorded on the action (for `nsm check`).
 */
export function applyAction(actionText: string | ObjectStatement, file: string, where: SourceLocation, b: ConfigBuilder, selector: SyslogSelector[]): void {
  if (typeof actionText !== 'string') {
    applyActionObject(actionText, file, b, selector);
    return;
  }
  if (actionText === '~' || actionText.toLowerCase() === 'stop') {
    b.addStop(where);
    return;
  }
  const stmt = { action: actionText };
  const parsed = parseLegacyAction(stmt.action);
  if (parsed.kind === 'error') {
    b.diags.error(where, parsed.message);
    return;
  }
  if (parsed.kind === 'other') {
    b.diags.warning(where, `action '${stmt.action}' (${parsed.description}) is not part of nsm, which only forwards: ignored`);
    return;
  }
  const t = parsed.target;
  for (const w of t.warnings) b.diags.warning(where, w);
  const template = t.template ?? b.legacyDefaultTemplate ?? defaultForwardTemplate(t.protocol);
  const legacyTls = b.legacyActionTls;
  const useTls = t.protocol === 'tcp' && legacyTls.mode === 1;
  if (useTls && (b.defaultNetstreamDriver === undefined || b.defaultNetstreamDriver === 'ptcp')) {
    b.diags.error(where, '$ActionSendStreamDriverMode 1 (TLS) needs $DefaultNetstreamDriver gtls before this action');
    return;
  }
  const action: ForwardAction = {
    selector,
    protocol: useTls ? 'tls' : t.protocol,
    host: t.host,
    port: t.port,
    framing: t.framing,
    template,
    where,
  };
  if (!useTls) {
    b.addAction(action);
    return;
  }
  if (legacyTls.authMode === undefined) {
    b.diags.warning(where, 'TLS without $ActionSendStreamDriverAuthMode: rsyslog would not check the collector\'s certificate ("anon"); nsm verifies it (set $ActionSendStreamDriverAuthMode anon to turn that off)');
  }
  b.addAction(action, {
    // Certificate verification is on unless the config explicitly asks for anon (rsyslog's default is anon).
    verifyPeer: legacyTls.authMode !== 'anon',
    permittedPeers: [...legacyTls.permittedPeers],
    checkName: legacyTls.authMode !== 'x509/certvalid',
  });
}
