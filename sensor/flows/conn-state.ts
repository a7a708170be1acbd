// conn.log's conn_state from the two endpoint states, exactly as Zeek's conn_state() in
// base/protocols/conn/main.zeek derives it (TCP states, or UDP/ICMP active/inactive).
import { TcpState } from './tcp-endpoint';

/** `/\^?S[^HAFGIQ]*R.*\/`: the originator sent a SYN and then a RST with no reply in between. */
const SYN_THEN_RST_ONLY = /^\^?S[^HAFGIQ]*R.*$/s;

export function tcpConnState(os: TcpState, rs: TcpState, origSize: number, respSize: number, history: string): string {
  const origInactive = os === TcpState.Inactive || os === TcpState.Partial;
  const respInactive = rs === TcpState.Inactive || rs === TcpState.Partial;
  if (rs === TcpState.Reset) {
    if (os === TcpState.SynSent || os === TcpState.SynAckSent ||
        (os === TcpState.Reset && origSize === 0 && respSize === 0)) return 'REJ';
    return origInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === TcpState.Reset) {
    if (respInactive) return SYN_THEN_RST_ONLY.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === TcpState.Closed && os === TcpState.Closed) return 'SF';
  if (os === TcpState.Closed) return respInactive ? 'SH' : 'S2';
  if (rs === TcpState.Closed) return origInactive ? 'SHR' : 'S3';
  if (os === TcpState.SynSent && rs === TcpState.Inactive) return 'S0';
  if (os === TcpState.Established && rs === TcpState.Established) return 'S1';
  return 'OTH';
}

/** UDP: each side is active once it sent a datagram. */
export function udpConnState(origActive: boolean, respActive: boolean): string {
  if (origActive) return respActive ? 'SF' : 'S0';
  return respActive ? 'SHR' : 'OTH';
}
