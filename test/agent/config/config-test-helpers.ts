// Shared helpers for the config reader tests: parse text as a named file and read back diagnostics as text.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AgentConfig } from '../../../agent/config/agent-config';
import { parseAgentConfigText } from '../../../agent/config/config-loader';
import { formatDiagnostic } from '../../../agent/config/diagnostic-list';

/** Parses `text` as the file `t.conf`; the work directory is not checked unless asked. */
export function parseConf(text: string, checkWorkDirectory = false): AgentConfig {
  return parseAgentConfigText(text, 't.conf', { defaultWorkDirectory: '/nonexistent/agent-default', checkWorkDirectory });
}

export function diagnosticLines(config: AgentConfig, severity?: 'error' | 'warning'): string[] {
  return config.diagnostics.filter((d) => severity === undefined || d.severity === severity).map(formatDiagnostic);
}

/** Diagnostics other than the "no files" / "no action" notes that short test configs naturally trigger. */
export function problemLines(config: AgentConfig): string[] {
  return diagnosticLines(config).filter((l) => !/^t\.conf: warning: no (files to monitor|forwarding action)/.test(l));
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nsm-${prefix}-`));
}

export const IMFILE = '$ModLoad imfile\n';
