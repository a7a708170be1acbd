// IPv4 and IPv6 fragment reassembly with bounded memory: a byte cap over all datagrams (oldest evicted first),
// a per-datagram size cap, a block-count cap and a timeout. Overlaps keep the first data seen and report
// Zeek's fragment_overlap / fragment_inconsistency; size and consistency checks follow Zeek's Frag.cc.
// The cap counts what a datagram really costs (its bytes plus an estimate of the objects that hold them), and expiry
// and eviction take the oldest datagrams from an insertion-ordered queue: O(1) amortised per fragment.

import { FifoQueue } from '../collections/fifo-queue';
import { DOUBLE_ZERO } from './double-zero';
import type { DecodedPacket, WeirdReporter } from './decoded-packet';

/** Zeek's thresholds for excessively_small_fragment / excessively_large_fragment weirds. */
const MIN_ACCEPTABLE_FRAGMENT = 64;
const MAX_ACCEPTABLE_FRAGMENT = 64000;

/**
 * Heap bytes of one pending datagram beside its data: the Datagram object, its key string, the Map entry, the queue
 * slot, the header Buffer's object and the blocks array. Measured on Node 20 with 50,000 one-fragment datagrams:
 * 668 heap bytes and 32 buffer-pool bytes each, which this estimate (with a block's) covers.
 */
export const DATAGRAM_OVERHEAD_BYTES = 512;
/** Heap bytes of one held block beside its data: the Block object and its Buffer object. */
export const BLOCK_OVERHEAD_BYTES = 160;
/** The order queue is compacted when dead entries could outnumber live ones by this much. */
const MIN_QUEUE_COMPACTION = 1024;

export interface FragmentReassemblerOptions {
  /** Memory held over all incomplete datagrams (data plus per-datagram and per-block overhead) before the oldest are dropped. */
  maxBytes: number;
  /** Largest reassembled payload accepted (fragments reaching beyond are dropped). */
  maxDatagramBytes: number;
  /** Largest number of distinct data blocks per datagram (bounds the work per fragment). */
  maxBlocksPerDatagram: number;
  /**
   * Seconds (packet time) after the first fragment when an incomplete datagram is dropped; 0 keeps it until the
   * memory cap evicts it (Zeek's default frag_timeout is 0, "forever"; we default to 60 s and always cap memory).
   */
  timeoutSec: number;
}

export const DEFAULT_FRAGMENT_OPTIONS: FragmentReassemblerOptions = {
  maxBytes: 64 * 1024 * 1024,
  maxDatagramBytes: 65535,
  maxBlocksPerDatagram: 1024,
  timeoutSec: 60,
};

/** One fragment as the IP decoder found it; a single instance is refilled for each fragment. */
export class FragmentDescriptor {
  version: 4 | 6 = 4;
  frame: Buffer = Buffer.alloc(0);
  /** IP header start; the unfragmentable header is [ipStart, ipStart+headerLength) (IPv6: up to, not including, the fragment header). */
  ipStart = 0;
  headerLength = 0;
  /** IPv6: offset (from ipStart) of the next-header byte that names the fragment header. */
  nextHeaderFieldOffset = 0;
  payloadStart = 0;
  payloadLength = 0;
  /** Fragment offset in bytes and flags. */
  fragmentOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /** IPv4 protocol / the fragment header's next header. */
  nextProtocol = 0;
  /** Identification (IPv4 16 bits, IPv6 32 bits). */
  id = DOUBLE_ZERO;

  /** Refills every field (argument order as the fields above). */
  describe(version: 4 | 6, frame: Buffer, ipStart: number, headerLength: number, nextHeaderFieldOffset: number, payloadStart: number,
    payloadLength: number, fragmentOffset: number, moreFragments: boolean, dontFragment: boolean, nextProtocol: number, id: number): void {
    this.version = version;
    this.frame = frame;
    this.ipStart = ipStart;
    this.headerLength = headerLength;
    this.nextHeaderFieldOffset = nextHeaderFieldOffset;
    this.payloadStart = payloadStart;
    this.payloadLength = payloadLength;
    this.fragmentOffset = fragmentOffset;
    this.moreFragments = moreFragments;
    this.dontFragment = dontFragment;
    this.nextProtocol = nextProtocol;
    this.id = id;
  }
}

interface Block {
  seq: number;
  upper: number;
  data: Buffer;
}

interface Datagram {
  key: string;
  created: number;
  header: Buffer;
  version: 4 | 6;
  nextHeaderFieldOffset: number;
  nextProtocol: number;
  /** Payload length once the last fragment (MF clear) was seen; 0 = unknown. */
  fragSize: number;
  blocks: Block[];
  /** What it costs: header and data bytes plus the overhead estimates. */
  bytes: number;
  removed: boolean;
}

export class FragmentReassembler {
  private readonly datagrams = new Map<string, Datagram>();
  /** Pending datagrams oldest first (removed ones leave lazily, or when the queue is compacted). */
  private readonly order = new FifoQueue<Datagram>();
  private heldBytes = 0;
  /** Counters for tests and stats. */
  evictions = 0;
  timeouts = 0;
  dropped = 0;
  /** Queue entries looked at by expiry, eviction and compaction: grows linearly with fragments (tests check it). */
  queueWork = 0;

  constructor(private readonly weird: WeirdReporter, private readonly opts: FragmentReassemblerOptions = DEFAULT_FRAGMENT_OPTIONS) {}

  get bytesHeld(): number {
    return this.heldBytes;
  }

  get pendingDatagrams(): number {
    return this.datagrams.size;
  }

  /** Drops datagrams whose first fragment is older than the timeout. Cheap when nothing is pending. */
  expire(now: number): void {
    if (this.datagrams.size === 0 || this.opts.timeoutSec <= 0) return;
    const order = this.order;
    for (;;) {
      // Queue order is creation order, so the first live one ends the scan.
      const d = order.peek();
      if (d === undefined) return;
      this.queueWork++;
      if (d.removed) {
        order.shift();
        continue;
      }
      if (d.created + this.opts.timeoutSec > now) return;
      order.shift();
      this.remove(d);
      this.timeouts++;
    }
  }

  /**
   * Adds one fragment (`pkt` is the packet being decoded, for weirds). Returns the whole datagram (IP header with
   * lengths patched, then payload) when this fragment completed it, else undefined.
   */
  add(now: number, f: FragmentDescriptor, pkt: DecodedPacket): Buffer | undefined {
    this.expire(now);
    const frame = f.frame;
    const addrOffset = f.version === 4 ? 12 : 8;
    const addrBytes = f.version === 4 ? 8 : 32;
    const key = `${f.version}${frame.toString('latin1', f.ipStart + addrOffset, f.ipStart + addrOffset + addrBytes)}${f.id}`;
    let d = this.datagrams.get(key);
    if (d === undefined) {
      d = {
        key,
        created: now,
        header: Buffer.from(frame.subarray(f.ipStart, f.ipStart + f.headerLength)),
        version: f.version,
        nextHeaderFieldOffset: f.nextHeaderFieldOffset,
        nextProtocol: f.nextProtocol,
        fragSize: 0,
        blocks: [],
        bytes: f.headerLength + DATAGRAM_OVERHEAD_BYTES,
        removed: false,
      };
      this.datagrams.set(key, d);
      if (this.order.length >= 2 * this.datagrams.size + MIN_QUEUE_COMPACTION) {
        this.queueWork += this.order.length;
        this.order.retain(isPending);
      }
      this.order.push(d);
      this.heldBytes += d.bytes;
    } else if (f.version === 4) {
      if (frame[f.ipStart + 9] !== d.header[9] || f.headerLength !== d.header.length) this.weird.weird('fragment_protocol_inconsistency', pkt);
    } else if (f.nextProtocol !== d.nextProtocol || f.headerLength !== d.header.length) {
      this.weird.weird('fragment_protocol_inconsistency', pkt);
    }

    if (f.dontFragment) this.weird.weird('fragment_with_DF', pkt);
    const seq = f.fragmentOffset;
    const upper = seq + f.payloadLength;
    if (seq === 0) d.nextProtocol = f.nextProtocol;
    if (!f.moreFragments) {
      if (d.fragSize === 0) d.fragSize = upper;
      else if (upper !== d.fragSize) {
        this.weird.weird('fragment_size_inconsistency', pkt);
        if (upper > d.fragSize) d.fragSize = upper;
      }
    } else if (f.payloadLength + f.headerLength < MIN_ACCEPTABLE_FRAGMENT) {
      this.weird.weird('excessively_small_fragment', pkt);
    }
    if (upper > MAX_ACCEPTABLE_FRAGMENT) this.weird.weird('excessively_large_fragment', pkt);
    if (d.fragSize !== 0 && upper > d.fragSize) {
      this.weird.weird('fragment_size_inconsistency', pkt);
      d.fragSize = upper;
    }
    if (upper > this.opts.maxDatagramBytes) {
      // Cannot be a real datagram. Zeek would rebuild it, find the 16-bit length overflowed and report
      // invalid_IP_header_size; we report that when the last fragment shows the size, and free it at once.
      this.dropped++;
      if (!f.moreFragments) {
        this.weird.weird('invalid_IP_header_size', pkt);
        this.remove(d);
      }
      return undefined;
    }
    if (d.blocks.length >= this.opts.maxBlocksPerDatagram) {
      // A fragment flood: keep the work per fragment bounded, drop this piece.
      this.dropped++;
      return undefined;
    }

    this.insert(d, seq, upper, frame, f.payloadStart, pkt);
    this.enforceMemoryCap(d);
    if (!this.datagrams.has(key)) return undefined;
    return this.tryComplete(d, pkt);
  }

  /** Adds the parts of [seq, upper) not yet held; bytes already held win, differences are reported. */
  private insert(d: Datagram, seq: number, upper: number, src: Buffer, srcStart: number, pkt: DecodedPacket): void {
    let cur = seq;
    let overlap = false;
    let inconsistent = false;
    const fresh: Block[] = [];
    for (const b of d.blocks) {
      if (b.upper <= cur) continue;
      if (b.seq >= upper) break;
      if (b.seq > cur) fresh.push(this.copyBlock(cur, b.seq, src, srcStart - seq));
      const os = Math.max(cur, b.seq);
      const oe = Math.min(upper, b.upper);
      if (os < oe) {
        overlap = true;
        if (!inconsistent && src.compare(b.data, os - b.seq, oe - b.seq, srcStart + os - seq, srcStart + oe - seq) !== 0) inconsistent = true;
      }
      cur = Math.max(cur, b.upper);
      if (cur >= upper) break;
    }
    if (cur < upper) fresh.push(this.copyBlock(cur, upper, src, srcStart - seq));
    if (overlap) this.weird.weird(inconsistent ? 'fragment_inconsistency' : 'fragment_overlap', pkt);
    if (fresh.length === 0) return;
    const blocks = d.blocks;
    for (const b of fresh) {
      // Insertion into the sorted list: blocks never overlap, so this is the order a sort would give, without the
      // work array Array.prototype.sort allocates on every fragment.
      let i = blocks.length;
      blocks.push(b);
      while (i > 0 && blocks[i - 1].seq > b.seq) {
        blocks[i] = blocks[i - 1];
        i--;
      }
      blocks[i] = b;
      const cost = b.upper - b.seq + BLOCK_OVERHEAD_BYTES;
      d.bytes += cost;
      this.heldBytes += cost;
    }
  }

  private copyBlock(seq: number, upper: number, src: Buffer, base: number): Block {
    const data = Buffer.allocUnsafe(upper - seq);
    src.copy(data, 0, base + seq, base + upper);
    return { seq, upper, data };
  }

  /** Over the cap: drops the oldest datagrams until under it (the current one too, if it is the oldest left). */
  private enforceMemoryCap(current: Datagram): void {
    const order = this.order;
    while (this.heldBytes > this.opts.maxBytes) {
      const d = order.shift();
      if (d === undefined) break;
      this.queueWork++;
      if (d.removed) continue;
      this.remove(d);
      this.evictions++;
    }
    if (this.heldBytes > this.opts.maxBytes && !current.removed) {
      this.remove(current);
      this.evictions++;
    }
  }

  /** Zeek's completion rule: contiguous from 0 up to the size the last fragment implies. */
  private tryComplete(d: Datagram, pkt: DecodedPacket): Buffer | undefined {
    const blocks = d.blocks;
    if (blocks.length === 0 || blocks[0].seq > 0 || d.fragSize === 0) return undefined;
    let i = 0;
    while (i + 1 < blocks.length && blocks[i].upper === blocks[i + 1].seq) i++;
    const contiguousEnd = blocks[i].upper;
    if (i + 1 < blocks.length) {
      if (contiguousEnd < d.fragSize) return undefined; // a hole below the end
      // Contiguous through the expected end but more beyond a hole (two datagrams mixed): use what is contiguous.
      this.weird.weird('fragment_size_inconsistency', pkt);
      d.fragSize = contiguousEnd;
    } else if (contiguousEnd > d.fragSize) {
      this.weird.weird('fragment_size_inconsistency', pkt);
      d.fragSize = contiguousEnd;
    } else if (contiguousEnd < d.fragSize) {
      return undefined; // missing the tail
    }

    const hl = d.header.length;
    if ((d.version === 4 ? hl : hl - 40) + d.fragSize > 0xffff) {
      // The length field cannot hold it: Zeek's rebuilt header then claims less than its own size.
      this.weird.weird('invalid_IP_header_size', pkt);
      this.remove(d);
      return undefined;
    }
    const out = Buffer.allocUnsafe(hl + d.fragSize);
    d.header.copy(out, 0);
    for (let j = 0; j <= i; j++) {
      const b = blocks[j];
      if (b.seq >= d.fragSize) break;
      b.data.copy(out, hl + b.seq, 0, Math.min(b.upper, d.fragSize) - b.seq);
    }
    if (d.version === 4) {
      out.writeUInt16BE(hl + d.fragSize, 2);
      out.writeUInt16BE(out.readUInt16BE(6) & 0x4000, 6); // keep DF, clear MF and offset: it is whole now
    } else {
      out.writeUInt16BE(hl + d.fragSize - 40, 4);
      out[d.nextHeaderFieldOffset] = d.nextProtocol;
    }
    this.remove(d);
    return out;
  }

  private remove(d: Datagram): void {
    if (d.removed) return;
    d.removed = true;
    this.datagrams.delete(d.key);
    this.heldBytes -= d.bytes;
  }
}

function isPending(d: Datagram): boolean {
  return !d.removed;
}
