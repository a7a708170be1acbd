// Link-layer type numbers (LINKTYPE_* as stored in pcap/pcapng files, plus the DLT_* aliases some systems
// write for raw IP) and the libpcap names used to compile a BPF filter for each.

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as written by most systems (12) and OpenBSD (14); LINKTYPE_RAW (101) is the portable value. */
export const DLT_RAW_COMMON = 12;
export const DLT_RAW_OPENBSD = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_PRISM_HEADER = 119;
export const LINKTYPE_IEEE802_11_AVS = 163;
export const LINKTYPE_NFLOG = 239;

/** libpcap's DLT name for `tcpdump -y`, or undefined for a link type nsm cannot filter. */
export function linkTypeDltName(linkType: number): string | undefined {
  switch (linkType) {
    case LINKTYPE_NULL: return 'NULL';
    case LINKTYPE_ETHERNET: return 'EN10MB';
    case DLT_RAW_COMMON: case DLT_RAW_OPENBSD: case LINKTYPE_RAW: return 'RAW';
    case LINKTYPE_LOOP: return 'LOOP';
    case LINKTYPE_LINUX_SLL: return 'LINUX_SLL';
    case LINKTYPE_IPV4: return 'IPV4';
    case LINKTYPE_IPV6: return 'IPV6';
    case LINKTYPE_LINUX_SLL2: return 'LINUX_SLL2';
    case LINKTYPE_PPP: return 'PPP';
    case LINKTYPE_FDDI: return 'FDDI';
    case LINKTYPE_PPP_HDLC: return 'PPP_SERIAL';
    case LINKTYPE_C_HDLC: return 'C_HDLC';
    case LINKTYPE_IEEE802_11: return 'IEEE802_11';
    case LINKTYPE_IEEE802_11_RADIOTAP: return 'IEEE802_11_RADIO';
    case LINKTYPE_PRISM_HEADER: return 'PRISM_HEADER';
    case LINKTYPE_IEEE802_11_AVS: return 'IEEE802_11_RADIO_AVS';
    case LINKTYPE_NFLOG: return 'NFLOG';
    default: return undefined;
  }
}

/** libpcap's session link-type strings (pcap package) back to numbers. */
export function linkTypeFromPcapName(name: string): number {
  switch (name) {
    case 'LINKTYPE_NULL': return LINKTYPE_NULL;
    case 'LINKTYPE_ETHERNET': return LINKTYPE_ETHERNET;
    case 'LINKTYPE_RAW': return LINKTYPE_RAW;
    case 'LINKTYPE_LINUX_SLL': return LINKTYPE_LINUX_SLL;
    case 'LINKTYPE_IEEE802_11_RADIO': return LINKTYPE_IEEE802_11_RADIOTAP;
    default: {
      const m = /Unknown linktype (\d+)/.exec(name);
      return m ? Number(m[1]) : -1;
    }
  }
}

/** Whether the decoder reads this link type (the same set libpcap can filter for us). */
export function isReadableLinkType(linkType: number): boolean {
  return linkTypeDltName(linkType) !== undefined;
}

/** The one-line reason a capture cannot be read: which link type, and which ones nsm reads. */
export function unreadableLinkTypeMessage(linkType: number): string {
  return `cannot read link type ${linkType} (nsm reads Ethernet, raw IP, FDDI, PPP, PPP serial, Cisco HDLC, 802.11 (plain, radiotap, Prism, AVS), NFLOG, Linux cooked SLL/SLL2 and BSD/OpenBSD loopback)`;
}
