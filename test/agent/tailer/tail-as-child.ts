// Runs one FileTailer in a child process (started by the tests as user `nobody`, since root reads chmod 000 files).
// stdout: one JSON object a line, {"line": "..."} per delivered line and {"state": "..."} every 20 ms; stderr: the log.

import { createLogger, stderrSink } from '../../../src/core/logger';
import { FileTailer } from '../../../agent/tailer/file-tailer';
import { createWatchBackend } from '../../../agent/watch/watch-backend';

const file = process.argv[2];
const watch = createWatchBackend('polling', 20);
const tailer = new FileTailer({
  path: file, freshStartTail: false, reopenOnTruncate: true, maxLineBytes: 8192, maxLinesAtOnce: 0,
  watch, logger: createLogger('child-tailer', stderrSink, 'info'), recheckIntervalMs: 20,
});
const statusTimer = setInterval(() => process.stdout.write(JSON.stringify({ state: tailer.status().state }) + '\n'), 20);
const done = tailer.run(async (batch) => {
  for (const line of batch.lines) process.stdout.write(JSON.stringify({ line: line.toString('latin1') }) + '\n');
});
process.on('SIGTERM', () => {
  clearInterval(statusTimer);
  void tailer.stop().then(() => done).then(() => {
    watch.close();
    process.exit(0);
  });
});
