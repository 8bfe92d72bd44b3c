import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';

/** How to boot a test machine. */
export interface GuestOptions {
  /** Raw disk image, the guest's first IDE disk (/dev/sda). */
  disk: string;
  /** `-netdev` value. Default: QEMU user networking serving `tftpRoot` with DHCP + TFTP. */
  netdev?: string;
  /** TFTP root for user networking (its DHCP hands out `pxelinux.0`). */
  tftpRoot?: string;
  /** Host directories exported as 9p shares, by mount tag. */
  shares?: Record<string, string>;
  memoryMiB?: number;
  /** Kill QEMU after this long whatever happens (the scenario's hard timeout). */
  hardTimeoutMs: number;
  /** Prefix for the command, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrap?: string[];
  /** Write the guest's network traffic to this pcap file (QEMU filter-dump), e.g. to read TFTP requests from it. */
  pcap?: string;
  /** Called with each serial line as it arrives (timestamped), e.g. to keep a log. */
  onLine?: (line: string) => void;
  /** Unix socket for QEMU's human monitor, for reset(), pause() and resume(). */
  monitor?: string;
}

/** A line of output with the seconds since QEMU started. */
export interface Timed {
  at: number;
  text: string;
}

/** A running test machine. */
export interface Guest {
  /** Serial console lines (escape sequences removed). */
  serial: Timed[];
  /** Files the guest asked for over TFTP, in order (from SLIRP_DEBUG=tftp), with time. */
  tftp: Timed[];
  /** Resolves with QEMU's exit code (67 after the disk's boot sector ran) when it ends. */
  exited: Promise<number | null>;
  /** Wait for the `n`th serial line matching `re` (1-based); rejects if QEMU ends first or after `ms`. */
  waitFor(re: RegExp, ms: number, n?: number): Promise<Timed>;
  /** Kill QEMU (idempotent) and wait for it. */
  kill(): Promise<void>;
  /** True until QEMU has exited. */
  running(): boolean;
  /** Press the reset button (monitor `system_reset`): the machine boots again, from the network first. */
  reset(): Promise<void>;
  /** Freeze the machine (monitor `stop`); its clocks stand still until resume(). */
  pause(): Promise<void>;
  /** Let a paused machine run on (monitor `cont`). */
  resume(): Promise<void>;
  /** The last `n` serial lines, for failure messages. */
  tail(n?: number): string;
}

/**
 * Start QEMU (TCG: this machine has no usable KVM) as a BIOS PC that boots from the network
 * first, then its disk: an e1000 NIC with QEMU's iPXE ROM, an IDE disk, the 9p shares and
 * the isa-debug-exit device. The serial console is read from stdout; with user networking
 * QEMU logs every TFTP read request on stderr. QEMU dies with this process (pdeathsig), at
 * the hard timeout, or on kill().
 */
export function startGuest(o: GuestOptions): Guest {
  const netdev = o.netdev ?? `user,id=n0,tftp=${o.tftpRoot},bootfile=pxelinux.0`;
  const args = [
    '--pdeathsig', 'KILL', 'qemu-system-x86_64',
    '-machine', 'pc,accel=tcg', '-m', String(o.memoryMiB ?? 1024), '-smp', '1',
    '-display', 'none', '-vga', 'none', '-serial', 'stdio', '-no-user-config',
    '-monitor', o.monitor ? `unix:${o.monitor},server=on,wait=off` : 'none',
    '-netdev', netdev, '-device', 'e1000,netdev=n0,mac=52:54:00:12:34:56',
    '-drive', `file=${o.disk},format=raw,if=ide,index=0`, '-boot', 'order=nc',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ...(o.pcap ? ['-object', `filter-dump,id=dump0,netdev=n0,file=${o.pcap}`] : []),
    ...Object.entries(o.shares ?? {}).flatMap(([tag, path]) => ['-virtfs', `local,path=${path},mount_tag=${tag},security_model=none,id=${tag}`]),
  ];
  const [cmd, ...pre] = [...(o.wrap ?? []), 'setpriv'];
  const started = Date.now();
  const child: ResultPromise = execa(cmd!, [...pre, ...args], { reject: false, stdin: 'ignore', buffer: false, cleanup: true, env: { SLIRP_DEBUG: 'tftp', G_MESSAGES_DEBUG: 'all' } });
  let alive = true;
  const hmp = async (command: string) => {
    if (!o.monitor) throw new Error(`monitor ${command}: this guest was started without a monitor socket`);
    await monitorCommand(o.monitor, command);
  };
  const guest: Guest & { waiters: Set<() => void> } = {
    serial: [],
    tftp: [],
    waiters: new Set(),
    exited: child.then((r) => r.exitCode ?? null),
    async waitFor(re, ms, n = 1) {
      const found = () => guest.serial.filter((l) => re.test(l.text))[n - 1];
      return new Promise<Timed>((resolve, reject) => {
        const check = () => {
          const hit = found();
          if (hit) return finish(() => resolve(hit));
        };
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          guest.waiters.delete(check);
          fn();
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no serial line matching ${re} (#${n}) within ${ms / 1000} s; last lines:\n${guest.tail()}`))), ms);
        guest.waiters.add(check);
        void guest.exited.then((code) => finish(() => (found() ? resolve(found()!) : reject(new Error(`QEMU exited (${code}) before a serial line matched ${re} (#${n}); last lines:\n${guest.tail()}`)))));
        check();
      });
    },
    async kill() {
      child.kill('SIGKILL');
      await guest.exited;
    },
    running: () => alive,
    reset: () => hmp('system_reset'),
    pause: () => hmp('stop'),
    resume: () => hmp('cont'),
    tail(n = 25) {
      return guest.serial.slice(-n).map((l) => `${l.at.toFixed(1).padStart(6)} ${l.text}`).join('\n');
    },
  };
  const since = () => (Date.now() - started) / 1000;
  createInterface({ input: child.stdout! }).on('line', (raw) => {
    const text = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1bc|\r/g, '').trimEnd();
    if (!text) return;
    const line = { at: since(), text };
    guest.serial.push(line);
    o.onLine?.(`${line.at.toFixed(1).padStart(6)} ${text}`);
    for (const w of [...guest.waiters]) w();
  });
  createInterface({ input: child.stderr! }).on('line', (raw) => {
    const m = /tftp rrq file: (\S+)/.exec(raw);
    if (m) guest.tftp.push({ at: since(), text: m[1]! });
    else if (!/Slirp|slirp/.test(raw)) guest.serial.push({ at: since(), text: `[qemu] ${raw}` });
  });
  const hard = setTimeout(() => child.kill('SIGKILL'), o.hardTimeoutMs);
  void guest.exited.then(() => {
    alive = false;
    clearTimeout(hard);
  });
  return guest;
}

/**
 * Send one command to QEMU's human monitor on a unix socket: wait for its `(qemu)` prompt,
 * send the command, and return once the next prompt shows it was done (10 s at most).
 */
async function monitorCommand(socket: string, command: string, ms = 10_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = connect(socket);
    let text = '';
    let sent = false;
    const timer = setTimeout(() => done(new Error(`QEMU monitor: no answer to ${command} within ${ms / 1000} s (got ${JSON.stringify(text.slice(-200))})`)), ms);
    const done = (err?: Error) => {
      clearTimeout(timer);
      c.destroy();
      if (err) reject(err);
      else resolve();
    };
    c.on('data', (d) => {
      text += d.toString('latin1');
      const prompts = text.split('(qemu) ').length - 1;
      if (!sent && prompts >= 1) {
        sent = true;
        c.write(`${command}\n`);
      } else if (sent && prompts >= 2) done();
    });
    c.once('error', (e) => done(new Error(`QEMU monitor ${socket}: ${e.message}`)));
    c.once('close', () => done(new Error(`QEMU monitor closed before ${command} was done`)));
  });
}
