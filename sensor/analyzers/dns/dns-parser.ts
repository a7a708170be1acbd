// The DNS message parser: one message (a UDP payload, or one length-prefixed message of a TCP stream) into header,
// question and resource-record events, with the weirds Zeek's DNS analyzer (src/analyzer/protocol/dns/DNS.cc) raises and
// stopping where it stops. Answers come out as the strings Zeek's base/protocols/dns/main.zeek writes into `answers`.
// Zeek's defaults dns_skip_all_auth and dns_skip_all_addl hold: the authority and additional sections are not parsed.

import { formatAddress } from '../../decode/address-format';
import { qtypeName as qtypeText } from './dns-names';

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: number;
  rcode: number;
  qdCount: number;
  anCount: number;
  nsCount: number;
  arCount: number;
  isNetbios: boolean;
  isDynamicUpdate: boolean;
}

/** Which section a resource record came from (Zeek's DNS_AnswerType, as far as dns.log cares). */
export const enum RrSection {
  Answer = 0,
  Prerequisite = 1,
  Update = 2,
}

/** What the parser reports, in Zeek's event order for one message. */
export interface DnsEvents {
  weird(name: string, addl?: string): void;
  /** Zeek's LimitReachedWeird (`X` in the connection's history). */
  limitReached(name: string, limit: number, max?: number): void;
  /** Zeek's AnalyzerViolation. */
  violation(reason: string): void;
  /** Zeek's AnalyzerConfirmation: the message parsed through its answers. */
  confirm(): void;
  /** The first message of the connection is a response seen from the originator: swap roles (Zeek's FlipRoles). */
  flip(): void;
  /** dns_message: a header with a tracked opcode was read. */
  message(h: DnsHeader): void;
  /** dns_request (QR=0), dns_rejected (QR=1 and no records) or dns_query_reply: one question (name lower-cased). */
  question(h: DnsHeader, kind: 'request' | 'rejected' | 'reply', name: string, qtype: number, qclass: number): void;
  /** One resource record as main.zeek's reply text ('' for records it logs nothing for), with its section and TTL. */
  record(h: DnsHeader, section: RrSection, query: string, ttl: number, text: string): void;
  /** dns_end: the message is done (not raised for the few failures where Zeek returns without it). */
  messageEnd(h: DnsHeader): void;
}

export const DNS_OP_QUERY = 0;
export const DNS_OP_NOTIFY = 4;
export const DNS_OP_DYNAMIC_UPDATE = 5;

const HEADER_LENGTH = 12;
/** Zeek's dns_max_queries and dns_max_compression_chain_depth. */
const MAX_QUERIES = 25;
const MAX_COMPRESSION_DEPTH = 20;
/** Zeek's name buffer: 513 bytes, 512 usable. */
const NAME_ROOM = 512;

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_WKS = 11;
const TYPE_PTR = 12;
const TYPE_HINFO = 13;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_LOC = 29;
const TYPE_NBS = 32;
const TYPE_SRV = 33;
const TYPE_NAPTR = 35;
const TYPE_A6 = 38;
const TYPE_EDNS = 41;
const TYPE_DS = 43;
const TYPE_SSHFP = 44;
const TYPE_RRSIG = 46;
const TYPE_NSEC = 47;
const TYPE_DNSKEY = 48;
const TYPE_NSEC3 = 50;
const TYPE_NSEC3PARAM = 51;
const TYPE_SVCB = 64;
const TYPE_HTTPS = 65;
const TYPE_SPF = 99;
const TYPE_TKEY = 249;
const TYPE_TSIG = 250;
const TYPE_CAA = 257;
const TYPE_BINDS = 65534;

const CLASS_NONE = 254;
const CLASS_ANY = 255;

/** ASCII-only lower case (C's tolower in the C locale), for names held as latin1 byte strings. */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

export class DnsParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private msgStart = 0;
  private nameRoom = NAME_ROOM;
  private firstMessage = true;
  /** The current record's owner name, type, class and TTL (Zeek's msg->query_name, atype, aclass, ttl). */
  private ansQuery = '';
  private atype = 0;
  private aclass = 0;
  private zclass = 0;

  constructor(
    private readonly ev: DnsEvents,
    /** Either port is 137: NetBIOS name service (other opcodes, longer labels). */
    private readonly isNetbios: boolean,
    /** The responder port is 137. */
    private readonly respIsNetbios: boolean,
  ) {}

  /** `isQuery`: 1 from the originator, 0 from the responder, 2 unknown (a partial TCP message at close). */
  parseMessage(buf: Buffer, start: number, length: number, isQuery: 0 | 1 | 2): void {
    const ev = this.ev;
    if (length < HEADER_LENGTH) {
      ev.weird('DNS_truncated_len_lt_hdr_len');
      return;
    }
    const flags = (buf[start + 2] << 8) | buf[start + 3];
    const opcode = (flags & 0x7800) >> 11;
    if (opcode !== DNS_OP_QUERY && opcode !== DNS_OP_DYNAMIC_UPDATE && !this.isNetbios && opcode !== DNS_OP_NOTIFY) {
      // Zeek: a weird with the opcode and `X` in the history, which is what a limit weird writes.
      ev.limitReached('DNS_unknown_opcode', opcode);
      return;
    }
    const h: DnsHeader = {
      id: (buf[start] << 8) | buf[start + 1],
      qr: (flags & 0x8000) !== 0,
      opcode,
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0,
      ra: (flags & 0x0080) !== 0,
      z: (flags & 0x0070) >> 4,
      rcode: flags & 0x000f,
      qdCount: (buf[start + 4] << 8) | buf[start + 5],
      anCount: (buf[start + 6] << 8) | buf[start + 7],
      nsCount: (buf[start + 8] << 8) | buf[start + 9],
      arCount: (buf[start + 10] << 8) | buf[start + 11],
      isNetbios: this.isNetbios,
      isDynamicUpdate: opcode === DNS_OP_DYNAMIC_UPDATE && !this.isNetbios,
    };
    if (this.firstMessage && h.qr && isQuery === 1) ev.flip();
    this.firstMessage = false;
    ev.message(h);
    if (h.qdCount > MAX_QUERIES) {
      ev.violation('DNS_Conn_count_too_large');
      ev.limitReached('DNS_Conn_count_too_large', h.qdCount, MAX_QUERIES);
      ev.messageEnd(h);
      return;
    }
    this.buf = buf;
    this.msgStart = start;
    this.pos = start + HEADER_LENGTH;
    this.end = start + length;
    if (h.isDynamicUpdate) {
      if (h.qdCount !== 1) {
        ev.weird('DNS_DU_invalid_zone_count', String(h.qdCount));
        ev.messageEnd(h);
        return;
      }
      if (!this.parseAnswerHeader()) {
        ev.messageEnd(h);
        return;
      }
      if (this.atype !== TYPE_SOA) {
        // Zeek returns here without dns_end.
        ev.weird('DNS_DU_incorrect_zone_type');
        return;
      }
      this.zclass = this.aclass;
      if (!this.parseRecords(h, h.anCount, RrSection.Prerequisite) || !this.parseRecords(h, h.nsCount, RrSection.Update)) {
        ev.messageEnd(h);
        return;
      }
    } else {
      let n = h.qdCount;
      while (n > 0 && this.parseQuestion(h)) n--;
      if (n !== 0 || !this.parseRecords(h, h.anCount, RrSection.Answer)) {
        ev.messageEnd(h);
        return;
      }
    }
    ev.confirm();
    ev.messageEnd(h);
  }

  private get left(): number {
    return this.end - this.pos;
  }

  private short(): number {
    if (this.left < 2) return 0;
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  private long(): number {
    if (this.left < 4) return 0;
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Zeek's ExtractStream: up to `l` bytes (never past the message), as a latin1 string. */
  private stream(l: number): string {
    const n = Math.min(this.left, Math.max(l, 0));
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Skips the record data (Zeek: records whose event has no handler in the base scripts). */
  private skip(rdlength: number): boolean {
    this.pos += rdlength;
    return true;
  }

  private parseQuestion(h: DnsHeader): boolean {
    this.nameRoom = NAME_ROOM;
    const name = this.extractName(false, 0);
    if (name === null) return false;
    if (this.left < 4) {
      this.ev.weird('DNS_truncated_quest_too_short');
      return false;
    }
    const kind = !h.qr ? 'request' : h.anCount === 0 && h.nsCount === 0 && h.arCount === 0 ? 'rejected' : 'reply';
    const qtype = this.short();
    const qclass = this.short();
    this.ev.question(h, kind, asciiLower(name), qtype, qclass);
    return true;
  }

  private parseRecords(h: DnsHeader, count: number, section: RrSection): boolean {
    let n = count;
    while (n > 0 && this.parseRecord(h, section)) n--;
    return n === 0;
  }

  private parseAnswerHeader(): boolean {
    this.nameRoom = NAME_ROOM;
    const name = this.extractName(true, 0);
    if (name === null) return false;
    if (this.left < 4) {
      this.ev.weird('DNS_truncated_ans_too_short');
      return false;
    }
    this.ansQuery = name;
    this.atype = this.short();
    this.aclass = this.short();
    return true;
  }

  private reply(h: DnsHeader, section: RrSection, ttl: number, text: string): void {
    this.ev.record(h, section, this.ansQuery, ttl, text);
  }

  private parseRecord(h: DnsHeader, section: RrSection): boolean {
    const ev = this.ev;
    if (!this.parseAnswerHeader()) return false;
    const ttl = this.long();
    const rdlength = this.short();
    if (rdlength > this.left) {
      ev.weird('DNS_truncated_RR_rdlength_lt_len');
      return false;
    }
    if (h.isDynamicUpdate) {
      if (section === RrSection.Update) {
        if (this.aclass === CLASS_ANY && ttl === 0 && rdlength === 0) {
          this.reply(h, section, ttl, 'del: ' + this.deletion());
          return true;
        }
        if (!((this.aclass === CLASS_NONE && ttl === 0) || this.aclass === this.zclass)) {
          ev.weird('DNS_dynamic_update_invalid_update');
          return true;
        }
      } else if (section === RrSection.Prerequisite) {
        if (ttl !== 0) {
          ev.weird('DNS_dynamic_update_prereq_nonzero_ttl', String(ttl | 0));
        } else if (((this.aclass === CLASS_ANY || this.aclass === CLASS_NONE) && rdlength === 0) || this.aclass === this.zclass) {
          this.reply(h, section, ttl, 'pre: ' + this.prerequisite());
        } else {
          ev.weird('DNS_dynamic_update_invalid_prereq');
        }
        // Zeek does not read the data of prerequisites.
        return true;
      }
    }
    if (rdlength === 0 && this.left > 0) {
      if (h.isDynamicUpdate) return true;
      ev.weird('DNS_zero_rdlength');
      return false;
    }
    const du = h.isDynamicUpdate;
    switch (this.atype) {
      case TYPE_A: {
        if (rdlength !== 4) {
          ev.weird('DNS_RR_bad_length');
          return false;
        }
        // rdlength is at most what is left (checked above), so the four bytes are there.
        const addr = formatAddress(this.buf, this.pos, 4);
        this.pos += 4;
        this.reply(h, section, ttl, du ? `A ${this.ansQuery} ${addr}` : addr);
        return true;
      }
      case TYPE_A6:
      case TYPE_AAAA: {
        // Zeek reads 16 bytes whatever rdlength says; a missing word reads as 0.
        const bytes = Buffer.alloc(16);
        for (let i = 0; i < 4; i++) bytes.writeUInt32BE(this.long(), i * 4);
        const addr = formatAddress(bytes, 0, 6);
        this.reply(h, section, ttl, du ? `${this.atype === TYPE_AAAA ? 'AAAA' : 'A6'} ${this.ansQuery} ${addr}` : addr);
        return true;
      }
      case TYPE_NS:
      case TYPE_CNAME:
      case TYPE_PTR: {
        const start = this.pos;
        this.nameRoom = NAME_ROOM;
        const name = this.extractName(true, 0);
        if (name === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        this.reply(h, section, ttl, name);
        return true;
      }
      case TYPE_SOA: {
        const start = this.pos;
        this.nameRoom = NAME_ROOM;
        const mname = this.extractName(true, 0);
        if (mname === null) return false;
        this.nameRoom = NAME_ROOM;
        if (this.extractName(true, 0) === null) return false;
        if (this.left < 20) return false;
        this.pos += 20;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        this.reply(h, section, ttl, mname);
        return true;
      }
      case TYPE_WKS:
        // Zeek raises dns_WKS_reply without reading the record's data, and main.zeek logs nothing for it.
        this.reply(h, section, ttl, '');
        return true;
      case TYPE_MX: {
        const start = this.pos;
        this.short();
        this.nameRoom = NAME_ROOM;
        const name = this.extractName(true, 0);
        if (name === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        this.reply(h, section, ttl, name);
        return true;
      }
      case TYPE_TXT:
      case TYPE_SPF: {
        const tag = this.atype === TYPE_TXT ? 'TXT' : 'SPF';
        const parts: string[] = [];
        let rdlen = rdlength;
        while (rdlen > 0) {
          const size = this.buf[this.pos];
          rdlen--;
          this.pos++;
          if (size > rdlen) {
            ev.weird('DNS_TXT_char_str_past_rdlen');
            break;
          }
          parts.push(`${tag} ${size} ${this.buf.toString('latin1', this.pos, this.pos + size)}`);
          rdlen -= size;
          this.pos += size;
        }
        this.reply(h, section, ttl, parts.join(' '));
        return rdlen === 0;
      }
      case TYPE_SRV: {
        // NetBIOS NBSTAT shares the number: Zeek neither reads nor skips it.
        if (this.respIsNetbios) return true;
        const start = this.pos;
        this.pos += Math.min(6, this.left);
        this.nameRoom = NAME_ROOM;
        const target = this.extractName(true, 0);
        if (target === null) return false;
        if (this.pos - start !== rdlength) ev.weird('DNS_RR_length_mismatch');
        this.reply(h, section, ttl, target);
        return true;
      }
      case TYPE_NAPTR:
        return this.naptr(h, section, ttl, rdlength);
      case TYPE_EDNS:
        return this.edns(rdlength);
      case TYPE_RRSIG: {
        if (this.left < 18) return false;
        const typeCovered = this.short();
        const algo = this.short() >> 8;
        this.pos += 14;
        const start = this.pos;
        this.nameRoom = NAME_ROOM;
        const signer = this.extractName(true, 0);
        if (signer === null) return false;
        this.stream(rdlength - (this.pos - start + 18));
        const w = algorithmWeird(algo);
        if (w !== undefined) ev.weird(`DNSSEC_RRSIG_${w}_ZoneSignAlgo`, String(algo));
        this.reply(h, section, ttl, `RRSIG ${typeCovered} ${signer === '' ? '<Root>' : signer}`);
        return true;
      }
      case TYPE_DNSKEY: {
        if (this.left < 4) return false;
        const dflags = this.short();
        const protoAlgo = this.short();
        const protocol = protoAlgo >> 8;
        const algo = protoAlgo & 0xff;
        this.stream(rdlength - 4);
        if ((dflags & 0xfe7e) !== 0) ev.weird('DNSSEC_DNSKEY_Invalid_Flag', String(dflags));
        if ((dflags & 0x0181) === 0x0181) ev.weird('DNSSEC_DNSKEY_Revoked_KSK', String(dflags));
        if (protocol !== 3) ev.weird('DNSSEC_DNSKEY_Invalid_Protocol', String(protocol));
        const w = algorithmWeird(algo);
        if (w !== undefined) ev.weird(`DNSSEC_DNSKEY_${w}_ZoneSignAlgo`, String(algo));
        this.reply(h, section, ttl, `DNSKEY ${algo}`);
        return true;
      }
      case TYPE_NSEC: {
        const start = this.pos;
        this.nameRoom = NAME_ROOM;
        const next = this.extractName(true, 0);
        if (next === null) return false;
        this.bitmaps(rdlength - (this.pos - start), 'DNSSEC_NSEC_bitmapLen0');
        this.reply(h, section, ttl, `NSEC ${this.ansQuery} ${next}`);
        return true;
      }
      case TYPE_NSEC3: {
        if (this.left < 6) return false;
        const start = this.pos;
        this.pos += 4;
        const saltLen = this.left > 0 ? this.buf[this.pos++] : 0;
        this.stream(saltLen);
        const hashLen = this.left > 0 ? this.buf[this.pos++] : 0;
        this.stream(hashLen);
        this.bitmaps(rdlength - (this.pos - start), 'DNSSEC_NSEC3_bitmapLen0');
        this.reply(h, section, ttl, 'NSEC3');
        return true;
      }
      case TYPE_NSEC3PARAM: {
        if (this.left < 5) return false;
        this.pos += 4;
        const saltLen = this.left > 0 ? this.buf[this.pos++] : 0;
        this.stream(saltLen);
        this.reply(h, section, ttl, 'NSEC3PARAM');
        return true;
      }
      case TYPE_DS: {
        if (this.left < 4) return false;
        this.short();
        const algoType = this.short();
        const algo = algoType >> 8;
        const digestType = algoType & 0xff;
        this.stream(rdlength - 4);
        if (digestType === 0) ev.weird('DNSSEC_DS_ReservedDigestType', String(digestType));
        else if (digestType > 4) ev.weird('DNSSEC_DS_unknown_DigestType', String(digestType));
        this.reply(h, section, ttl, `DS ${algo} ${digestType}`);
        return true;
      }
      case TYPE_BINDS:
        if (this.left < 5) return false;
        // Zeek reads five bytes whatever rdlength says.
        this.pos += 5;
        this.reply(h, section, ttl, 'BIND9 signing signal');
        return true;
      case TYPE_SSHFP: {
        if (this.left < 2) return false;
        this.short();
        const fingerprint = this.stream(rdlength - 2);
        this.reply(h, section, ttl, `SSHFP: ${Buffer.from(fingerprint, 'latin1').toString('hex')}`);
        return true;
      }
      case TYPE_LOC: {
        if (rdlength !== 16) {
          ev.weird('dns_invalid_loc_length');
          return false;
        }
        if (this.left < 16) return false;
        const b = this.buf;
        const p = this.pos;
        const version = b[p];
        this.pos += 16;
        if (version !== 0) ev.weird('DNS_LOC_version_unrecognized', String(version));
        this.reply(h, section, ttl, `LOC:  ${b[p + 1]} ${b[p + 2]} ${b[p + 3]}`);
        return true;
      }
      case TYPE_SVCB:
      case TYPE_HTTPS:
        return this.svcb(rdlength);
      case TYPE_HINFO:
      case TYPE_CAA:
      case TYPE_NBS:
      case TYPE_TKEY:
        // No handler in Zeek's base scripts: Zeek skips the data (TKEY, HINFO, CAA) or never looks at it (NBS).
        return this.skip(rdlength);
      case TYPE_TSIG:
        return this.tsig();
      default:
        this.reply(h, section, ttl, `<unknown type=${this.atype}>`);
        ev.weird('DNS_RR_unknown_type', String(this.atype));
        return this.skip(rdlength);
    }
  }

  /** main.zeek's dns_dynamic_update_del text (after `del: `). */
  private deletion(): string {
    if (this.aclass === CLASS_ANY && this.atype === CLASS_ANY) return `RRSet * ${this.ansQuery}`;
    return `RRSet ${qtypeText(this.atype)}`;
  }

  /** main.zeek's dns_dynamic_update_pre text (after `pre: `). */
  private prerequisite(): string {
    if (this.aclass === CLASS_NONE && this.atype === CLASS_ANY) return `NameNotInUse ${this.ansQuery}`;
    if (this.aclass === CLASS_ANY && this.atype === CLASS_ANY) return `NameInUse ${this.ansQuery}`;
    if (this.aclass === CLASS_NONE) return `NoRRSet ${qtypeText(this.atype)} ${this.ansQuery}`;
    return `RRSetExists ${qtypeText(this.atype)} ${this.ansQuery}`;
  }

  private bitmaps(length: number, weird: string): void {
    let remaining = length;
    while (remaining > 0 && this.left > 0) {
      const blockLen = this.short();
      const window = blockLen >> 8;
      const bmlen = blockLen & 0xff;
      if (bmlen === 0) {
        this.ev.weird(weird, String(window));
        break;
      }
      this.stream(bmlen);
      remaining -= 2 + bmlen;
    }
  }

  private charString(rdlen: { n: number }): string | undefined {
    if (rdlen.n <= 0) return undefined;
    const size = this.buf[this.pos];
    rdlen.n--;
    this.pos++;
    if (size > rdlen.n) {
      this.ev.weird('DNS_TXT_char_str_past_rdlen');
      return undefined;
    }
    const s = this.buf.toString('latin1', this.pos, this.pos + size);
    rdlen.n -= size;
    this.pos += size;
    return s;
  }

  private naptr(h: DnsHeader, section: RrSection, ttl: number, rdlength: number): boolean {
    const order = this.short();
    const preference = this.short();
    const rdlen = { n: rdlength - 4 };
    if (this.left <= 0 || rdlen.n <= 0) {
      this.ev.violation('DNS_NAPTR_too_short');
      return false;
    }
    const flags = this.charString(rdlen);
    const service = this.charString(rdlen);
    const regexp = this.charString(rdlen);
    this.nameRoom = NAME_ROOM;
    const replacement = this.extractName(false, 0);
    if (flags === undefined || service === undefined || regexp === undefined || replacement === null) {
      this.ev.violation('DNS_NAPTR_RR_too_short');
      return false;
    }
    let tail = regexp;
    if (replacement.length > 0) tail += (tail.length > 0 ? ' ' : '') + replacement;
    this.reply(h, section, ttl, `NAPTR ${order} ${preference} ${flags} ${service} ${tail}`);
    return true;
  }

  private edns(rdlength: number): boolean {
    let remaining = rdlength;
    while (remaining >= 4) {
      this.short();
      const optionLength = this.short();
      remaining -= 4;
      if (optionLength > remaining) {
        this.ev.weird('EDNS_truncated_option');
        return false;
      }
      this.stream(optionLength);
      remaining -= optionLength;
    }
    if (remaining !== 0) {
      this.ev.weird('EDNS_truncated_option');
      return false;
    }
    return true;
  }

  private tsig(): boolean {
    this.nameRoom = NAME_ROOM;
    if (this.extractName(true, 0) === null) return false;
    this.long();
    this.short();
    this.short();
    this.octets();
    this.short();
    this.short();
    this.octets();
    return true;
  }

  /** Zeek's ExtractOctets: a 2-byte length, then that many bytes (capped at the message). */
  private octets(): void {
    const n = Math.min(this.left, this.short());
    this.pos += n;
  }

  private svcb(rdlength: number): boolean {
    const ev = this.ev;
    const start = this.pos;
    if (rdlength < 3) {
      ev.weird('DNS_SVCB_wrong_length');
      return false;
    }
    const priority = this.short();
    this.nameRoom = NAME_ROOM;
    if (this.extractName(false, 0) === null) return false;
    let paramsLength = rdlength - (this.pos - start);
    if (paramsLength <= 0) return true;
    if (priority === 0) ev.weird('DNS_SVCB_aliasmode_with_params');
    while (paramsLength >= 4) {
      const key = this.short();
      let valueLength = this.short();
      paramsLength -= 4;
      let bad: string | undefined;
      if (valueLength > paramsLength) {
        ev.weird('DNS_SVCB_param_value_toobig', `${valueLength} capped to ${paramsLength}`);
        valueLength = paramsLength;
        bad = '';
      } else {
        switch (key) {
          case 0: // mandatory: a list of keys
            if (valueLength === 0 || valueLength % 2 !== 0) bad = 'DNS_SVCB_mandatory_length_invalid';
            else this.pos += valueLength;
            break;
          case 1: // alpn: length-prefixed ids
            if (!this.alpnValid(valueLength)) bad = 'DNS_SVCB_alpn_length_invalid';
            else this.pos += valueLength;
            break;
          case 2: // no-default-alpn
            if (valueLength > 0) bad = 'DNS_SVCB_nodefaultalpn_value';
            break;
          case 3: // port
            if (valueLength !== 2) bad = 'DNS_SVCB_port_length_invalid';
            else this.pos += 2;
            break;
          case 4: // ipv4hint
          case 6: // ipv6hint
            if (valueLength % (key === 4 ? 4 : 16) !== 0) bad = 'DNS_SVCB_hint_length_invalid';
            else this.pos += valueLength;
            break;
          case 5: // ech
            this.stream(valueLength);
            break;
          default:
            bad = 'DNS_SVCB_key_reserved_or_invalid';
        }
      }
      if (bad !== undefined) {
        if (bad !== '') ev.weird(bad);
        this.stream(valueLength);
      }
      paramsLength -= valueLength;
    }
    return true;
  }

  /** Whether an alpn value is a run of non-empty length-prefixed ids filling it exactly (Zeek's check). */
  private alpnValid(valueLength: number): boolean {
    let parsed = 0;
    let at = this.pos;
    while (parsed + 2 <= valueLength) {
      const n = at < this.end ? this.buf[at] : 0;
      at++;
      parsed++;
      if (n === 0 || n + parsed > valueLength) return false;
      at += n;
      parsed += n;
    }
    return parsed === valueLength;
  }

  /**
   * Zeek's ExtractName: labels up to the terminating zero or a compression pointer (which must point backwards, so
   * loops cannot happen; chains deeper than 20 stop with a weird); the trailing dot is dropped. null on a parse error.
   */
  private extractName(downcase: boolean, depth: number): string | null {
    const ev = this.ev;
    if (depth > MAX_COMPRESSION_DEPTH) {
      ev.limitReached('DNS_max_compression_chain_depth_exceeded', depth);
      return '';
    }
    const buf = this.buf;
    let name = '';
    for (;;) {
      if (this.pos >= this.end) {
        ev.weird('dns_invalid_name');
        return null;
      }
      const labelAt = this.pos;
      const labelLength = buf[this.pos++];
      if (labelLength === 0) break;
      if ((labelLength & 0xc0) === 0xc0) {
        if (this.pos >= this.end) {
          ev.weird('dns_invalid_name');
          return null;
        }
        const offset = ((labelLength & 0x3f) << 8) | buf[this.pos++];
        if (offset >= labelAt - this.msgStart) {
          ev.weird('DNS_label_forward_compress_offset');
          return null;
        }
        const resume = this.pos;
        const end = this.end;
        this.pos = this.msgStart + offset;
        this.end = labelAt;
        const rest = this.extractName(true, depth + 1);
        this.pos = resume;
        this.end = end;
        if (rest === null) return null;
        name += rest;
        break;
      }
      if (labelLength > this.end - this.pos) {
        ev.weird('DNS_label_len_gt_pkt');
        this.pos = this.end;
        return null;
      }
      if (labelLength > 63 && !this.respIsNetbios) {
        ev.weird('DNS_label_too_long');
        return null;
      }
      if (labelLength >= this.nameRoom) {
        ev.weird('DNS_label_len_gt_name_len');
        return null;
      }
      name += buf.toString('latin1', this.pos, this.pos + labelLength) + '.';
      this.nameRoom -= labelLength + 1;
      this.pos += labelLength;
    }
    if (name.length >= 255) ev.weird('DNS_NAME_too_long');
    if (name.length >= 2 && name.charCodeAt(name.length - 1) === 0x2e) {
      name = name.slice(0, -1);
      this.nameRoom++;
    }
    return downcase ? asciiLower(name) : name;
  }
}

/** The weird-name part Zeek raises for a DNSSEC algorithm number (RRSIG and DNSKEY), or undefined when it is fine. */
function algorithmWeird(algo: number): string | undefined {
  switch (algo) {
    case 1:
      return 'NotRecommended';
    case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 10: case 12: case 13: case 14: case 15: case 16:
      return undefined;
    case 252:
      return 'Indirect';
    case 253:
      return 'PrivateDNS';
    case 254:
      return 'PrivateOID';
    default:
      return 'unknown';
  }
}
