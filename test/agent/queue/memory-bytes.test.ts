// The memory queue's byte bound: with long messages, memory holds at most memoryBytes of them (not memoryMessages
// of any size) while the transport delivers; a waiting enqueue goes on as confirmations free room, and every message
// arrives once, in order. A single message larger than the bound is still taken when memory is empty.

import { expect } from 'chai';
import * as fs from 'fs';
import { DeliveryQueue } from '../../../agent/queue/delivery-queue';
import { silentLogger } from '../../../src/core/logger';
import { makeTempDir } from '../../helpers/rsyslogd-process';
import { PipelinedFakeTransport } from './pipelined-fake-transport';

const numbered = (i: number, bytes: number): Buffer => {
  const m = Buffer.alloc(bytes, 0x78);
  m.write(String(i).padStart(8, '0'), 0, 'latin1');
  return m;
};
const numberOf = (m: Buffer): number => Number(m.toString('latin1', 0, 8));

describe('DeliveryQueue memory byte bound', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = makeTempDir('queue-bytes'); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds at most memoryBytes of 4 KiB messages in memory, then delivers all 2,000 once and in order', async () => {
    let hold = true;
    const transport = new PipelinedFakeTransport({ maxBatchesInFlight: 2, numberOf, fate: () => (hold ? 'hold' : 'confirm') });
    const queue = new DeliveryQueue({
      transport, memoryMessages: 10_000, memoryBytes: 64 * 1024, diskDirectory: dir, diskMaxBytes: 64 << 20,
      batchMaxMessages: 8, logger: silentLogger, onDurable: () => undefined, spillAfterMs: 60_000,
    });
    const total = 2000;
    let accepted = 0;
    const enqueues: Promise<void>[] = [];
    for (let i = 0; i < total; i += 10) {
      enqueues.push(queue.enqueue(Array.from({ length: 10 }, (_, k) => numbered(i + k, 4096)), { id: i }).then(() => { accepted += 10; }));
    }
    await new Promise((r) => setTimeout(r, 200));
    // 64 KiB / 4 KiB = 16 messages fit; the rest wait (not 10,000 messages' worth, 40 MB).
    expect(queue.stats().memoryMessages).to.equal(16);
    expect(accepted).to.equal(10);
    hold = false;
    transport.release();
    await Promise.all(enqueues);
    for (let i = 0; i < 100 && transport.confirmed.length < total; i++) await new Promise((r) => setTimeout(r, 50));
    expect(transport.confirmed).to.deep.equal(Array.from({ length: total }, (_, i) => i));
    expect(queue.stats().diskBytesWritten).to.equal(0);
    await queue.close();
  });

  it('takes one message larger than the bound when memory is empty', async () => {
    const transport = new PipelinedFakeTransport({ maxBatchesInFlight: 1, numberOf });
    const queue = new DeliveryQueue({
      transport, memoryMessages: 100, memoryBytes: 1024, diskDirectory: dir, diskMaxBytes: 64 << 20,
      logger: silentLogger, onDurable: () => undefined,
    });
    await queue.enqueue([numbered(0, 8192), numbered(1, 8192)], { id: 1 });
    for (let i = 0; i < 100 && transport.confirmed.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(transport.confirmed).to.deep.equal([0, 1]);
    await queue.close();
  });
});
