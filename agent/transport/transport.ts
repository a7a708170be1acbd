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
   * Sends one batch. Resolves when the batch is confirmed as far as the protocol can confirm it
   * (UDP: handed to the kernel; TCP/TLS: written to the socket and flushed to the kernel; RELP: acknowledged
   * by the collector). Rejects if the batch may not have been delivered; the caller then keeps the batch and
   * sends it again after `waitUntilReady()`. A transport never reorders or silently drops a batch.
   */
  send(batch: TransportBatch): Promise<void>;
  /** Resolves once a connection is (re)established; reconnects with capped exponential backoff. */
  waitUntilReady(signal?: AbortSignal): Promise<void>;
  status(): TransportStatus;
  close(): Promise<void>;
}
