// The checksum-offloading check on its own: Zeek's thresholds (more than 5 % of packets), its schedule (ten network
// seconds in, again every ten while fewer than 20 packets, and at the end), once per run, and its wording.

import { expect } from 'chai';
import { ChecksumOffloadCheck } from '../../../sensor/checksum-offload-check';

function weirds(check: ChecksumOffloadCheck, name: string, n: number): void {
  for (let i = 0; i < n; i++) check.countWeird(name);
}

describe('checksum offloading check', () => {
  it('warns at the end when more than 5 % of the packets had bad TCP checksums, naming the protocol and counts', () => {
    const check = new ChecksumOffloadCheck(true);
    weirds(check, 'bad_TCP_checksum', 6);
    const verdict = check.atEnd(100);
    expect(verdict?.message).to.match(/^the capture file likely has invalid TCP checksums \(6 bad of 100 packets\)/);
    expect(verdict?.message).to.include('-C');
    expect(check.warning).to.deep.equal(verdict);
  });

  it('stays quiet at exactly 5 %, and for weirds that are not transport checksums', () => {
    const check = new ChecksumOffloadCheck(true);
    weirds(check, 'bad_TCP_checksum', 5);
    weirds(check, 'bad_IP_checksum', 50);
    weirds(check, 'bad_ICMP_checksum', 50);
    expect(check.atEnd(100)).to.equal(undefined);
    expect(check.warning).to.equal(undefined);
  });

  it('names TCP and UDP when both are past the threshold, and an interface when live', () => {
    const check = new ChecksumOffloadCheck(false);
    weirds(check, 'bad_TCP_checksum', 10);
    weirds(check, 'bad_UDP_checksum', 1);
    // UDP alone (1 %) would not warn, but once TCP does, every protocol with bad checksums is named, as Zeek words it.
    expect(check.atEnd(20)?.message).to.match(/^the interface is likely receiving invalid TCP and UDP checksums \(11 bad of 20 packets\)/);
  });

  it('checks ten network seconds after the first packet, warns once, then never again', () => {
    const check = new ChecksumOffloadCheck(true);
    expect(check.atSecond(1000, 1)).to.equal(undefined); // first packet: schedules the check
    weirds(check, 'bad_UDP_checksum', 30);
    expect(check.atSecond(1009, 30)).to.equal(undefined); // not due yet
    const verdict = check.atSecond(1010, 30);
    expect(verdict?.badUdp).to.equal(30);
    weirds(check, 'bad_UDP_checksum', 30);
    expect(check.atSecond(1020, 60)).to.equal(undefined);
    expect(check.atEnd(60)).to.equal(undefined);
  });

  it('after a clean periodic check with 20 packets or more, only the end checks again', () => {
    const check = new ChecksumOffloadCheck(true);
    check.atSecond(0, 1);
    expect(check.atSecond(10, 40)).to.equal(undefined); // 40 good packets: no more periodic checks
    weirds(check, 'bad_TCP_checksum', 100);
    expect(check.atSecond(20, 140)).to.equal(undefined);
    expect(check.atSecond(100, 140)).to.equal(undefined);
    expect(check.atEnd(140)?.badTcp).to.equal(100);
  });

  it('while fewer than 20 packets have arrived, checks again every ten seconds', () => {
    const check = new ChecksumOffloadCheck(true);
    check.atSecond(0, 1);
    expect(check.atSecond(10, 5)).to.equal(undefined); // too few packets, all good: check again at 20
    weirds(check, 'bad_TCP_checksum', 5);
    expect(check.atSecond(19, 10)).to.equal(undefined);
    expect(check.atSecond(20, 10)?.badTcp).to.equal(5);
  });

  it('an empty capture gives no verdict', () => {
    expect(new ChecksumOffloadCheck(true).atEnd(0)).to.equal(undefined);
  });
});
