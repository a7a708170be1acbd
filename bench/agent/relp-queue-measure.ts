// Measures delivery through the agent's real path, DeliveryQueue -> RelpTransport -> rsyslog imrelp, with the
// queue keeping 1 batch in flight (the queue before pipelining) and 2 (RelpTransport's declaration), alternating
// so both see the same machine load. Not a test: prints msgs/s and the ratio, asserts no timing. Run by hand:
//   node dist/bench/agent/relp-queue-measure.js [messages=100000] [batch=500] [rounds=2]
// A run counts from the first enqueue to the last message confirmed by imrelp (every token durable); then the
// collector's file is checked to hold every message once, in order, so a fast wrong run cannot pass as fast.

import * as fs from 'fs';
import { DeliveryQueue } from '../../agent/queue/delivery-queue';
import { RelpTransport } from '../../agent/transport/relp-transport';
import { silentLogger } from '../../src/core/logger';
import { makeTempDir } from '../../test/helpers/rsyslogd-process';
import { SyslogCollector } from '../../test/helpers/syslog-collector';

/** As the tailers hand lines over: many small enqueues. */
const MESSAGES_PER_ENQUEUE = 100;
/** The agent's default memory queue (config-builder's DEFAULT_QUEUE). */
const MEMORY_MESSAGES = 10_000;

const message = (i: number): Buffer =>
  Buffer.from(`<190>Nov 23 10:00:41 sensor1 bro_conn: measure ${String(i).padStart(7, '0')} ${'x'.repeat(120)}`);

interface RunResult {
  batchesInFlight: number;
  msgsPerSecond: number;
  seconds: number;
}

async function runOnce(total: number, batch: number, batchesInFlight: number): Promise<RunResult> {
  const collector = await SyslogCollector.start({ protocol: 'relp' });
  const transport = new RelpTransport('127.0.0.1', collector.port, { logger: silentLogger, batchesInFlight });
  const dir = makeTempDir('relp-queue-measure');
  const enqueues = Math.ceil(total / MESSAGES_PER_ENQUEUE);
  let durable = 0;
  let allDurable!: () => void;
  const done = new Promise<void>((resolve) => (allDurable = resolve));
  const queue = new DeliveryQueue({
    transport, memoryMessages: MEMORY_MESSAGES, diskDirectory: dir, diskMaxBytes: 1 << 30, batchMaxMessages: batch, logger: silentLogger,
    onDurable: () => {
      if (++durable === enqueues) allDurable();
    },
  });
  try {
    await transport.waitUntilReady(AbortSignal.timeout(20_000));
    const messages = Array.from({ length: total }, (_, i) => message(i));
    const started = process.hrtime.bigint();
    for (let at = 0; at < total; at += MESSAGES_PER_ENQUEUE) {
      await queue.enqueue(messages.slice(at, at + MESSAGES_PER_ENQUEUE), { id: at });
    }
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = queue.stats();
    if (stats.diskBytesWritten !== 0) throw new Error(`the queue spilled ${stats.diskBytesWritten} bytes to disk: not a measurement of the network path`);
    const stored = await collector.waitForMessages(total, 120_000);
    for (let i = 0; i < total; i++) {
      if (!stored[i].equals(messages[i])) throw new Error(`message ${i} stored as ${JSON.stringify(stored[i]?.toString('latin1').slice(0, 80))}`);
    }
    if (stored.length !== total) throw new Error(`collector stored ${stored.length} messages, expected ${total}`);
    return { batchesInFlight, msgsPerSecond: total / seconds, seconds };
  } finally {
    await queue.close();
    await transport.close();
    await collector.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 100_000);
  const batch = Number(process.argv[3] ?? 500);
  const rounds = Number(process.argv[4] ?? 2);
  const best = new Map<number, number>();
  for (let round = 1; round <= rounds; round++) {
    for (const batchesInFlight of [1, 2]) {
      const r = await runOnce(total, batch, batchesInFlight);
      best.set(batchesInFlight, Math.max(best.get(batchesInFlight) ?? 0, r.msgsPerSecond));
      process.stdout.write(
        `round ${round}: queue -> relp -> imrelp, ${total} messages, batch ${batch}, ${batchesInFlight} batch(es) in flight: ` +
          `${r.msgsPerSecond.toFixed(0)} msgs/s (${r.seconds.toFixed(2)} s, all stored in order)\n`,
      );
    }
  }
  const one = best.get(1)!;
  const two = best.get(2)!;
  process.stdout.write(`best of ${rounds}: 1 in flight ${one.toFixed(0)} msgs/s, 2 in flight ${two.toFixed(0)} msgs/s, ratio ${(two / one).toFixed(1)}x\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
