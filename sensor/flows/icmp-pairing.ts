// Zeek's ICMP "ports": the source port is the message type, the destination port the type of the matching
// reply (so request and reply share one connection) or, for one-way messages, the code.

export interface IcmpPorts {
  srcPort: number;
  dstPort: number;
  oneWay: boolean;
}

const ICMP4_COUNTERPARTS = new Map<number, number>([
  [8, 0], [0, 8], // echo
  [13, 14], [14, 13], // timestamp
  [15, 16], [16, 15], // information
  [10, 9], [9, 10], // router solicitation / advertisement
  [17, 18], [18, 17], // address mask
]);

const ICMP6_COUNTERPARTS = new Map<number, number>([
  [128, 129], [129, 128], // echo
  [133, 134], [134, 133], // router solicitation / advertisement
  [135, 136], [136, 135], // neighbour solicitation / advertisement
  [130, 131], [131, 130], // multicast listener query / report
  [139, 140], [140, 139], // node information
  [144, 145], [145, 144], // home agent address discovery
]);

/** Fills `out` with the ICMP type/counterpart pair for a message (`v6` for ICMPv6). */
export function icmpPorts(type: number, code: number, v6: boolean, out: IcmpPorts): void {
  const counterpart = (v6 ? ICMP6_COUNTERPARTS : ICMP4_COUNTERPARTS).get(type);
  out.srcPort = type;
  out.oneWay = counterpart === undefined;
  out.dstPort = counterpart === undefined ? code : counterpart;
}
