import { reverse } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { isIPv4 } from '../lib/hex-ip.js';
import { AgentFailure, EXIT } from './exit-codes.js';

/**
 * The box's IPv4 address (seed step 2): `--ip` if given, else the only non-loopback IPv4
 * address of the machine. None, several, or 127.0.0.1 is fatal (code 10), because the
 * wrong address would act on another box's files.
 */
export function identifyIp(given: string | undefined, kernelIp: string | undefined): string {
  if (given !== undefined) {
    if (!isIPv4(given) || given.startsWith('127.')) throw new AgentFailure(EXIT.noIp, `Failed to get a good IP! (--ip ${JSON.stringify(given)})`);
    return given;
  }
  const addrs = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
  const unique = [...new Set(addrs)];
  // Several addresses: the one the kernel was told to use (static ip=) settles it.
  const chosen = unique.length === 1 ? unique[0] : unique.find((a) => a === kernelIp);
  if (!chosen || chosen.startsWith('127.')) throw new AgentFailure(EXIT.noIp, `Failed to get a good IP! (MY_IP=${unique.join(' ')})`);
  return chosen;
}

/** Reverse lookup of the IP, or `unknown` (seed step 2). Bounded so a dead DNS cannot stall the box. */
export async function lookupHostname(ip: string, timeoutMs = 3000): Promise<string> {
  const timeout = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), timeoutMs).unref());
  const names = await Promise.race([reverse(ip).catch(() => [] as string[]), timeout]);
  const name = names[0]?.replace(/\.$/, '');
  return name && /^[A-Za-z0-9.-]{1,253}$/.test(name) ? name : 'unknown';
}
