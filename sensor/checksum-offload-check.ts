// Spots captures whose TCP/UDP checksums are mostly wrong: recorded on the sending host, on loopback, or behind a NIC
// that computes checksums in hardware (checksum offloading). The sensor drops such packets (as Zeek does without -C), so
// a newcomer recording on their own machine would get empty logs and no hint why; this says why, once.
//
// Zeek's base/misc/find-checksum-offloading.zeek is the model: it counts the bad_TCP_checksum and bad_UDP_checksum
// connection weirds that its core lets through (after weird sampling), checks ten seconds of network time after the
// start (again every ten seconds while fewer than 20 packets have arrived) and at the end, and warns once when either
// count exceeds 5 % of the packets received. Its IP-checksum counter listens for net weirds, but Zeek 8 reports
// bad_IP_checksum as a flow weird, so that counter never moves; nsm does not count IP checksums either, so the two
// warn on the same captures.

/** Share of received packets with bad checksums above which the warning is given (Zeek's 0.05). */
export const OFFLOAD_BAD_SHARE = 0.05;
/** Network seconds between checks while too few packets have arrived (Zeek's ChecksumOffloading::check_interval). */
export const OFFLOAD_CHECK_INTERVAL_SEC = 10;
/** Below this many packets a periodic check schedules another one (Zeek's threshold). */
export const OFFLOAD_MIN_PACKETS = 20;

export interface ChecksumOffloadVerdict {
  /** What to tell the operator. */
  message: string;
  badTcp: number;
  badUdp: number;
  packets: number;
}

export class ChecksumOffloadCheck {
  private badTcp = 0;
  private badUdp = 0;
  /** Network second of the next periodic check; -1 before the first packet, Infinity once no more are due. */
  private nextCheckSec = -1;
  private verdict: ChecksumOffloadVerdict | undefined;

  /** `readingTrace`: a capture file (worded as such) rather than a live interface. */
  constructor(private readonly readingTrace: boolean) {}

  /** A weird the core's sampling let through (Zeek's conn_weird event). */
  countWeird(name: string): void {
    if (name === 'bad_TCP_checksum') this.badTcp++;
    else if (name === 'bad_UDP_checksum') this.badUdp++;
  }

  /**
   * Network time reached `sec` with `packets` received so far: runs a periodic check when one is due. Returns the
   * verdict the first time the warning applies, else undefined.
   */
  atSecond(sec: number, packets: number): ChecksumOffloadVerdict | undefined {
    if (this.nextCheckSec < 0) {
      this.nextCheckSec = sec + OFFLOAD_CHECK_INTERVAL_SEC;
      return undefined;
    }
    if (sec < this.nextCheckSec) return undefined;
    const found = this.check(packets);
    this.nextCheckSec = found === undefined && packets < OFFLOAD_MIN_PACKETS ? sec + OFFLOAD_CHECK_INTERVAL_SEC : Infinity;
    return found;
  }

  /** The end of input: the last check (Zeek's zeek_done). Returns the verdict if the warning applies now for the first time. */
  atEnd(packets: number): ChecksumOffloadVerdict | undefined {
    this.nextCheckSec = Infinity;
    return this.check(packets);
  }

  /** The warning, once given. */
  get warning(): ChecksumOffloadVerdict | undefined {
    return this.verdict;
  }

  private check(packets: number): ChecksumOffloadVerdict | undefined {
    if (this.verdict !== undefined || packets === 0) return undefined;
    const tcpShare = this.badTcp / packets;
    const udpShare = this.badUdp / packets;
    if (tcpShare <= OFFLOAD_BAD_SHARE && udpShare <= OFFLOAD_BAD_SHARE) return undefined;
    const kinds = [tcpShare > 0 ? 'TCP' : '', udpShare > 0 ? 'UDP' : ''].filter((k) => k !== '').join(' and ');
    const where = this.readingTrace ? 'the capture file likely has' : 'the interface is likely receiving';
    const message =
      `${where} invalid ${kinds} checksums (${this.badTcp + this.badUdp} bad of ${packets} packets), most likely ` +
      'from checksum offloading (recorded on the sending host, on loopback, or from a NIC that computes checksums in ' +
      'hardware); packets with a bad checksum are not analyzed: run nsm sensor with -C to ignore checksums, or turn ' +
      'offloading off on the capture interface (ethtool -K IFACE rx off tx off)';
    this.verdict = { message, badTcp: this.badTcp, badUdp: this.badUdp, packets };
    return this.verdict;
  }
}
