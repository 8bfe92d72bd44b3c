import { readFile } from 'node:fs/promises';

const DHCP_TYPES: Record<number, string> = { 1: 'DISCOVER', 3: 'REQUEST', 4: 'DECLINE', 7: 'RELEASE', 8: 'INFORM' };

/**
 * What a guest sent that shows how it booted, in order, from a pcap file (e.g. one written
 * by QEMU's `-object filter-dump`): `tftp <file>` for each TFTP read request (UDP port 69,
 * opcode 1; works with any server, including ones that only log to syslog) and
 * `dhcp <TYPE> <vendor class>` for each DHCP client message (UDP port 67), whose vendor
 * class tells the firmware (`PXEClient:...`) from Linux's udhcpc (`udhcp <version>`).
 */
export async function bootTrafficInPcap(file: string): Promise<string[]> {
  const buf = await readFile(file).catch(() => Buffer.alloc(0));
  if (buf.length < 24) return [];
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: string[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    // Ethernet II, IPv4, UDP
    if (pkt.length < 14 + 20 + 8 + 4 || pkt.readUInt16BE(12) !== 0x0800 || pkt[14 + 9] !== 17) continue;
    const udp = 14 + (pkt[14]! & 0x0f) * 4;
    const port = pkt.readUInt16BE(udp + 2);
    const body = pkt.subarray(udp + 8);
    // TFTP RRQ: opcode 1, "<file>\0<mode>\0...". Clients resend a request that got no answer in time; one entry per request.
    if (port === 69 && body.readUInt16BE(0) === 1) out.push(`tftp ${body.subarray(2).toString('latin1').split('\0')[0]}`);
    if (port === 67) {
      const dhcp = dhcpMessage(body);
      if (dhcp) out.push(`dhcp ${dhcp}`);
    }
  }
  return out;
}

/** The file names of the TFTP read requests in a pcap file, in order (see {@link bootTrafficInPcap}). */
export async function tftpRequestsInPcap(file: string): Promise<string[]> {
  return (await bootTrafficInPcap(file)).filter((e) => e.startsWith('tftp ')).map((e) => e.slice(5));
}

/** `<TYPE> <vendor class>` of a BOOTP/DHCP request (options after the magic cookie at 236), or undefined. */
function dhcpMessage(b: Buffer): string | undefined {
  if (b.length < 240 || b[0] !== 1 || b.readUInt32BE(236) !== 0x63825363) return undefined;
  let type = '';
  let vendor = '';
  for (let i = 240; i < b.length; ) {
    const code = b[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = b[i + 1] ?? 0;
    const value = b.subarray(i + 2, i + 2 + len);
    if (code === 53) type = DHCP_TYPES[value[0]!] ?? `type-${value[0]}`;
    if (code === 60) vendor = value.toString('latin1');
    i += 2 + len;
  }
  return type ? `${type} ${vendor}`.trimEnd() : undefined;
}
