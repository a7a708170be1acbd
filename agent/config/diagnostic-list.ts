// Collects `file:line: what is wrong` diagnostics while a config is read, and formats them for people.

import type { Diagnostic, SourceLocation } from './agent-config';

export class DiagnosticList {
  readonly items: Diagnostic[] = [];

  error(where: SourceLocation, message: string): void {
    this.items.push({ file: where.file, line: where.line, severity: 'error', message });
  }

  warning(where: SourceLocation, message: string): void {
    this.items.push({ file: where.file, line: where.line, severity: 'warning', message });
  }
}

/** `FILE:LINE[:COL]: error|warning: message`; line 0 means the file as a whole (`FILE: error: ...`). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : d.file;
  return `${where}: ${d.severity}: ${d.message}`;
}

export function countDiagnostics(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}
