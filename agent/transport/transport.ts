// The seam between the agent's queue and the network: one interface, one implementation per protocol
// (udp, tcp, tls, relp). The queue hands a transport ordered batches of already formatted syslog messages
// (no framing: the transport frames them) and learns, per batch, whether the batch left for good.

export interface TransportBatch {
  /** Formatted messages without framing (no trailing LF, no octet count). */
  messages: Buffer[];
}

export type TransportState = 'connecting' | 'up' | 'down' | 'closed';

export interface TransportStatus {
  state: TransportState;
  /** Human-readable reason for the last failure, if any. */
  lastError?: string;
  messagesSent: number;
  bytesSent: number;
  reconnects: number;
}

export interface Transport {
  /** Stable human name, e.g. `tcp://127.0.0.1:514` (used in logs and `nsm status`). */
  readonly name: string;
  /**
   * How many batches the queue may have sent and not yet seen settle (default 1). Above 1, send() may be called
   * again before earlier sends settle; confirmations come in call order, and if one send rejects, every later one
   * still in flight rejects too. Only a protocol that confirms receipt (RELP) gains from it: it keeps the
   * collector's acknowledgements flowing instead of stalling once per batch.
   */
  readonly maxBatchesInFlight?: number;
  /**
   * Sends one batch. Resolves when the batch is confirmed as far as the protocol can confirm it
   * (UDP: handed to the kernel; TCP/TLS: acknowledged by the collector's TCP, i.e. in its kernel, maybe not yet
   * read by its process; RELP: acknowledged by the collector process). Rejects if the batch may not have been delivered; the caller then keeps the batch and
   * sends it again after `waitUntilReady()`. A transport never reorders or silently drops a batch.
   */
  send(batch: TransportBatch): Promise<void>;
  /** Resolves once a connection is (re)established; reconnects with capped exponential backoff. */
  waitUntilReady(signal?: AbortSignal): Promise<void>;
  status(): TransportStatus;
  close(): Promise<void>;
}
