// The agent's status snapshot, rewritten every few seconds to WORKDIR/agent-status.json (atomically, so a reader never
// sees half a file): per file where it has read to and what is confirmed, per action how much is queued, the link state,
// the batches in flight against the transport's limit and, for RELP, the window and how full it is.

import * as path from 'path';
import type { Logger } from '../src/core/logger';
import { StatusFile, type StatusEnvelope } from '../src/core/status-file';
import type { FileServerStatus } from './file-server';

export const STATUS_FILE_NAME = 'agent-status.json';

export type AgentStatusSnapshot = StatusEnvelope & FileServerStatus;

export class StatusReporter extends StatusFile<FileServerStatus> {
  constructor(workDirectory: string, hostname: string, source: () => FileServerStatus, logger: Logger, intervalMs = 5000) {
    super(path.join(workDirectory, STATUS_FILE_NAME), hostname, source, logger, intervalMs);
  }
}
