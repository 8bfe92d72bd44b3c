import { readFile } from 'node:fs/promises';

/**
 * The file names of the TFTP read requests (RRQ, opcode 1, to UDP port 69) in a pcap file,
 * in order, e.g. one written by QEMU's `-object filter-dump`. Works with any TFTP server,
 * including ones that only log to syslog (tftpd-hpa).
 */
export async function tftpRequestsInPcap(file: string): Promise<string[]> {
  const buf = await readFile(file).catch(() => Buffer.alloc(0));
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: string[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    // Ethernet II, IPv4, UDP to port 69, TFTP opcode 1: "<file>\0<mode>\0..."
    if (pkt.length < 14 + 20 + 8 + 4 || pkt.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (pkt[14]! & 0x0f) * 4;
    if (pkt[14 + 9] !== 17) continue;
    const udp = 14 + ihl;
    if (pkt.readUInt16BE(udp + 2) !== 69 || pkt.readUInt16BE(udp + 8) !== 1) continue;
    const name = pkt.subarray(udp + 10).toString('latin1').split('\0')[0]!;
    // Clients resend a request that got no answer in time; one entry per request.
    out.push(name);
  }
  return out;
}
