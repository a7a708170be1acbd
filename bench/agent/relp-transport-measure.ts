// Measures RELP throughput (msgs/s) against a real rsyslog imrelp: N messages sent in batches of B straight
// through the transport (bench/agent/relp-queue-measure.ts measures the same through the delivery queue). Not a
// test (no assertions on timing); run by hand:
//   node dist/bench/agent/relp-transport-measure.js [messages=100000] [batch=500] [window=128] [batchesInFlight=1]
// batchesInFlight 1 awaits each send; 2 calls send() for the next batch before the previous one is confirmed, as
// the delivery queue does for RELP (RelpTransport.maxBatchesInFlight), which keeps the collector's answers flowing.

import { RelpTransport } from '../../agent/transport/relp-transport';
import { silentLogger } from '../../src/core/logger';
import { SyslogCollector } from '../../test/helpers/syslog-collector';

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 100_000);
  const batchSize = Number(process.argv[3] ?? 500);
  const window = Number(process.argv[4] ?? 128);
  const batchesInFlight = Number(process.argv[5] ?? 1);
  const collector = await SyslogCollector.start({ protocol: 'relp' });
  const transport = new RelpTransport('127.0.0.1', collector.port, { logger: silentLogger, window });
  try {
    await transport.waitUntilReady(AbortSignal.timeout(20_000));
    const messages = Array.from({ length: total }, (_, i) => Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: measure ${String(i).padStart(7, '0')} ${'x'.repeat(120)}`));
    const started = process.hrtime.bigint();
    const sending: Promise<void>[] = [];
    for (let at = 0; at < total; at += batchSize) {
      if (sending.length >= batchesInFlight) await sending.shift();
      sending.push(transport.send({ messages: messages.slice(at, at + batchSize) }));
    }
    await Promise.all(sending);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stored = (await collector.waitForMessages(total, 120_000)).length;
    process.stdout.write(`relp: ${total} messages, batch ${batchSize}, window ${window}, ${batchesInFlight} batch(es) in flight: ${(total / seconds).toFixed(0)} msgs/s (${seconds.toFixed(2)} s, ${stored} stored)\n`);
  } finally {
    await transport.close();
    await collector.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
