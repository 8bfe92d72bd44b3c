import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { isProcessAlive } from '../../lib/process-alive.js';

/** A private network namespace with a tap device for QEMU, and the site's servers in it. */
export interface NetnsSite {
  name: string;
  /** Prefix that runs a command inside the namespace. */
  wrap: string[];
  /** The host's address on the tap link, where every server listens. */
  server: string;
  /** Stop every server and delete the namespace (idempotent). */
  stop(): Promise<void>;
}

/** Where the servers find the site. */
export interface ServerDirs {
  tftp: string;
  backup: string;
  /** Scratch directory for configs, leases and logs. */
  work: string;
}

/**
 * Make namespace `name` with `tap0` at 10.0.2.2/24 and start, inside it, what a real site
 * runs: busybox udhcpd (10.0.2.15, next-server 10.0.2.2, boot file pxelinux.0), tftpd-hpa
 * serving `tftp`, and rpcbind + nfs-ganesha exporting `backup` as /backup and `tftp` as
 * /tftp (NFSv3 and v4, TCP, no root squash). Every server is started under pdeathsig and
 * stop() kills whatever runs in the namespace (see {@link removeNetns}), then deletes it; a
 * failed start does the same before it throws. Namespaces left by killed earlier runs are
 * removed first.
 */
export async function startNetnsSite(name: string, dirs: ServerDirs): Promise<NetnsSite> {
  const wrap = ['ip', 'netns', 'exec', name];
  const children: { kill(): void; exited: Promise<void> }[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of children) c.kill();
    await removeNetns(name);
    await Promise.all(children.map((c) => c.exited));
  };
  const sh = (cmd: string) => execa(wrap[0]!, [...wrap.slice(1), 'sh', '-c', cmd]);
  const daemon = (args: string[], log: string) => {
    // The log file's descriptor is inherited, not piped: a pipe would keep execa waiting for
    // as long as any grandchild holds it open.
    const fd = openSync(join(dirs.work, log), 'a');
    // node's spawn rather than execa: execa's types take no plain descriptor for a daemon's output.
    const c = spawn(wrap[0]!, [...wrap.slice(1), 'setpriv', '--pdeathsig', 'KILL', ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.once('error', () => resolve());
    });
    children.push({ kill: () => void c.kill('SIGKILL'), exited });
  };
  mkdirSync(dirs.work, { recursive: true });
  await removeStaleNetns();
  await execa('ip', ['netns', 'add', name]);
  try {
    // iPXE waits for IPv6 router advertisements on links that have IPv6; this one has none.
    await sh('ip link set lo up && ip tuntap add dev tap0 mode tap && sysctl -q -w net.ipv6.conf.tap0.disable_ipv6=1 && ip addr add 10.0.2.2/24 dev tap0 && ip link set tap0 up');
    await mkdir(dirs.work, { recursive: true });
    const leases = join(dirs.work, 'udhcpd.leases');
    await writeFile(leases, '');
    await writeFile(join(dirs.work, 'udhcpd.conf'), ['interface tap0', 'start 10.0.2.15', 'end 10.0.2.15', 'max_leases 1', 'siaddr 10.0.2.2', 'boot_file pxelinux.0', 'option subnet 255.255.255.0', 'option router 10.0.2.2', `lease_file ${leases}`, ''].join('\n'));
    daemon(['busybox', 'udhcpd', '-f', join(dirs.work, 'udhcpd.conf')], 'udhcpd.log');
    daemon(['in.tftpd', '--foreground', '--listen', '--address', '10.0.2.2:69', '--secure', dirs.tftp], 'tftpd.log');
    await writeFile(join(dirs.work, 'ganesha.conf'), ganeshaConf(dirs));
    await mkdir(join(dirs.work, 'ganesha-recovery'), { recursive: true });
    // rpcbind and ganesha keep sockets, locks and pid files in /run: give them a private one
    // (a tmpfs in their own mount namespace), so a host's own rpcbind is never touched and
    // nothing is left behind. ganesha registers with rpcbind over 127.0.0.1:111 in the netns.
    const nfs = [
      'mount -t tmpfs tmpfs /run || exit 1',
      'mkdir -p /run/rpcbind /run/ganesha',
      'setpriv --pdeathsig KILL rpcbind -f -w &',
      'i=0; until ss -ltn | grep -q ":111 "; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done',
      `exec setpriv --pdeathsig KILL ganesha.nfsd -F -f ${join(dirs.work, 'ganesha.conf')} -L ${join(dirs.work, 'ganesha.log')} -p /run/ganesha/ganesha.pid`,
    ].join('\n');
    daemon(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', nfs], 'nfs.out');
    await waitFor(sh, 'ss -ltn | grep -q ":2049 " && ss -ltn | grep -q ":20048 "', 'rpcbind + nfs-ganesha');
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, wrap, server: '10.0.2.2', stop };
}

/** Names of the namespaces this harness makes: `tbx-e2e-<pid of the test process>[-suffix]`. */
const OURS = /^tbx-e2e-(?:probe-)?(\d+)(?:-.*)?$/;

/**
 * Kill every process in namespace `name` and delete it (idempotent; a missing namespace is
 * fine). This is what stops rpcbind: it drops privileges after it starts, which clears the
 * parent-death signal it was started with, so it outlives its parent unless killed here.
 */
export async function removeNetns(name: string): Promise<void> {
  // `ip netns pids` lists every process whose network namespace this is, forked helpers too.
  for (let round = 0; round < 10; round++) {
    const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split(/\s+/).filter(Boolean).map(Number);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await execa('ip', ['netns', 'del', name], { reject: false });
}

/**
 * Remove the namespaces (and their servers) that earlier runs left behind when they were
 * killed before their cleanup ran: ours by name, whose test process no longer exists.
 */
export async function removeStaleNetns(): Promise<string[]> {
  const listed = (await execa('ip', ['netns', 'list'], { reject: false })).stdout.split('\n').map((l) => l.split(' ')[0]!);
  const stale = listed.filter((n) => {
    const pid = OURS.exec(n)?.[1];
    return pid !== undefined && !isProcessAlive(Number(pid));
  });
  for (const n of stale) await removeNetns(n);
  return stale;
}


function ganeshaConf(dirs: ServerDirs): string {
  return `NFS_CORE_PARAM {
    Protocols = 3, 4;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
    mount_path_pseudo = true;
    NFS_Port = 2049;
    MNT_Port = 20048;
}
NFSV4 { Graceless = true; Only_Numeric_Owners = true; RecoveryBackend = fs; RecoveryRoot = ${join(dirs.work, 'ganesha-recovery')}; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT_DEFAULTS { Access_Type = RW; Squash = No_Root_Squash; SecType = sys; Transports = TCP; Protocols = 3, 4; }
EXPORT { Export_Id = 1; Path = ${dirs.backup}; Pseudo = /backup; FSAL { Name = VFS; } }
EXPORT { Export_Id = 2; Path = ${dirs.tftp}; Pseudo = /tftp; FSAL { Name = VFS; } }
LOG { Default_Log_Level = EVENT; }
`;
}

async function waitFor(sh: (cmd: string) => Promise<unknown>, check: string, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await sh(check).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start listening within ${ms / 1000} s`);
}
