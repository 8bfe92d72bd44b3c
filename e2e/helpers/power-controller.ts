import { readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Guest } from './qemu-guest.js';

/** The line a power event leaves in the box's console log; the comeback check reads only what follows the last one. */
export const POWER_EVENT_PREFIX = '--- tbx-e2e power:';

/** One request from the site's reboot command, as the controller received it. */
export interface PowerCycle {
  /** The reboot command's arguments after the socket: its expanded {name} {ip} {hexip} {request}. */
  args: string[];
  did: 'power-on' | 'reset';
  /** The box's PXE file when the command ran (undefined: there was none). */
  config: string | undefined;
}

/** A stand-in for a box's BMC: the site's reboot command talks to it over a unix socket. */
export interface PowerController {
  socket: string;
  /** Every cycle a reboot command asked for, in order. */
  cycles: PowerCycle[];
  /** The box's QEMU while it runs. */
  guest(): Guest | undefined;
  /** Power the box on, or reset it if it runs; writes a power event to the console log. */
  cycle(why: string): Promise<{ guest: Guest; did: PowerCycle['did'] }>;
  /** The guest once the `n`th reboot command (1-based) has been served; rejects after `ms`. */
  waitForCycle(n: number, ms: number): Promise<Guest>;
  /** Kill the box's QEMU (idempotent). */
  off(): Promise<void>;
  /** Stop serving the socket and power off. */
  close(): Promise<void>;
}

/** What the controller drives. */
export interface PowerOptions {
  /** Unix socket path to listen on. */
  socket: string;
  /** The only box this controller answers for; other names or addresses are refused. */
  box: { name: string; ip: string; hex: string };
  /** The box's PXE file, read at each cycle to record what the box is about to boot. */
  pxeFile: string;
  /** Start the box's QEMU (it must have a monitor socket, for reset). */
  start(): Guest;
  /** Append a line to the box's console log. */
  log(line: string): void;
}

/**
 * Serve power cycles on a unix socket, one JSON line per request (`{args}`), answered with
 * one line: `ok <what was done>` or `error <why>`. A box that is off is powered on, a box
 * that runs is reset through its QEMU monitor: the two things a lab's `ipmitool power
 * cycle` does. Each cycle first writes a power event line to the console log, so a check
 * can tell what the box printed since.
 */
export async function startPowerController(o: PowerOptions): Promise<PowerController> {
  let current: Guest | undefined;
  const cycles: PowerCycle[] = [];
  const waiters = new Set<() => void>();
  const cycle = async (why: string) => {
    o.log(`${POWER_EVENT_PREFIX} ${why}`);
    if (current?.running()) {
      try {
        await current.reset();
        return { guest: current, did: 'reset' as const };
      } catch (err) {
        if (current.running()) throw err; // else it just ended: power it on below
      }
    }
    current = o.start();
    return { guest: current, did: 'power-on' as const };
  };
  const serve = async (args: string[]) => {
    const [name, ip, hex] = args;
    if (name !== o.box.name || ip !== o.box.ip || hex !== o.box.hex) throw new Error(`no such box here: ${JSON.stringify(args)} (this controller serves ${o.box.name} ${o.box.ip} ${o.box.hex})`);
    const config = await readFile(o.pxeFile, 'utf8').catch(() => undefined);
    const { did } = await cycle(`reboot command ${JSON.stringify(args)}`);
    cycles.push({ args, did, config });
    for (const w of [...waiters]) w();
    return did;
  };
  const server = createServer((conn: Socket) => {
    createInterface({ input: conn }).once('line', (line) => {
      Promise.resolve()
        .then(() => serve((JSON.parse(line) as { args: string[] }).args))
        .then((did) => conn.end(`ok ${did}\n`), (err: Error) => conn.end(`error ${err.message}\n`));
    });
    conn.on('error', () => undefined);
  });
  await rm(o.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socket, resolve);
  });
  const off = async () => {
    await current?.kill();
  };
  return {
    socket: o.socket,
    cycles,
    guest: () => current,
    cycle,
    waitForCycle: (n, ms) =>
      new Promise<Guest>((resolve, reject) => {
        const check = () => {
          if (cycles.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(current!);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the reboot command did not ask for power cycle #${n} within ${ms / 1000} s (${cycles.length} so far)`));
        }, ms);
        waiters.add(check);
        check();
      }),
    off,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await off();
    },
  };
}
