// Zeek's connection timeouts (init-bare.zeek defaults): how long idle, half-open and closed connections stay in the flow table.

/** Zeek's connection timeouts (init-bare.zeek defaults), in seconds. */
export interface ConnTimeouts {
  tcpInactivity: number;
  udpInactivity: number;
  icmpInactivity: number;
  /** Connections of an IP protocol with no transport analyzer (unknown_ip_inactivity_timeout). */
  unknownIpInactivity: number;
  /** First check for a dead TCP connection (tcp_SYN_timeout). */
  synTimeout: number;
  /** Re-check interval for idle TCP connections (tcp_session_timer). */
  sessionTimer: number;
  connectionLinger: number;
  /** How long a lone SYN waits for an answer (tcp_attempt_delay). */
  attemptDelay: number;
  /** How long a closed TCP connection stays in the table for late packets (tcp_close_delay). */
  closeDelay: number;
  resetDelay: number;
}

export const ZEEK_DEFAULT_TIMEOUTS: ConnTimeouts = {
  tcpInactivity: 300,
  udpInactivity: 60,
  icmpInactivity: 60,
  unknownIpInactivity: 60,
  synTimeout: 5,
  sessionTimer: 6,
  connectionLinger: 5,
  attemptDelay: 5,
  closeDelay: 5,
  resetDelay: 5,
};
