/** Strict dotted-quad IPv4: four decimal octets 0-255, no leading zeros, nothing else. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True if `ip` is a strict dotted-quad IPv4 address. */
export function isIPv4(ip: string): boolean {
  return IPV4.test(ip);
}

/**
 * PXELINUX's file name for an IPv4 address: four bytes as upper-case hex, no separator
 * (10.165.98.220 -> 0AA562DC). Throws on anything that is not a strict dotted quad.
 */
export function hexIp(ip: string): string {
  if (!isIPv4(ip)) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip
    .split('.')
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

/** Inverse of {@link hexIp}; returns undefined for names that are not 8 upper-case hex digits. */
export function ipFromHex(hex: string): string | undefined {
  if (!/^[0-9A-F]{8}$/.test(hex)) return undefined;
  return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}
