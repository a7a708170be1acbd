// The ports Zeek's default scripts register as likely server ports (every analyzer's well-known ports):
// a connection first seen without a SYN is flipped when its source port is one of these.
// Kept here so role flipping matches Zeek before nsm has its own analyzers for those protocols.

export const ZEEK_DEFAULT_LIKELY_SERVER_PORTS: { readonly tcp: readonly number[]; readonly udp: readonly number[] } = {
  tcp: [
    21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989,
    990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667,
    6668, 6669, 8000, 8080, 8888, 20000,
  ],
  udp: [
    53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 784, 853, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789, 5060,
    5072, 5353, 5355, 6081, 20000,
  ],
};
