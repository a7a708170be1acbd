// Legacy selector lines (`local7.* @@127.0.0.1:514`, `*.info;mail.none @host`, `& @@other`): the selector,
// then a forwarding action nsm runs, or another kind of action it reports and ignores.

import type { ForwardAction } from './agent-config';
import type { ConfigBuilder } from './config-builder';
import { defaultForwardTemplate, parseLegacyAction } from './forward-target';
import { applyActionObject } from './rainerscript';
import type { SelectorStatement } from './statement-scanner';
import { parseSelectorList } from './syslog-selector';

export function applySelectorStatement(stmt: SelectorStatement, file: string, b: ConfigBuilder): void {
  const where = { file, line: stmt.line };
  let selector = b.lastSelector;
  if (stmt.selector === null) {
    if (selector === undefined) {
      b.diags.error(where, "'&' continues the previous selector line, but there is none before it");
      return;
    }
  } else {
    const parsed = parseSelectorList(stmt.selector);
    if ('error' in parsed) {
      b.diags.error(where, parsed.error);
      b.lastSelector = undefined;
      return;
    }
    selector = parsed.selectors;
    b.lastSelector = selector;
  }
  if (typeof stmt.action !== 'string') {
    applyActionObject(stmt.action, file, b, selector);
    return;
  }
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
