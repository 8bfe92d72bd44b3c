import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { assertInOrder, sha256Of, timeline } from './helpers/evidence.js';
import { startGitDaemon } from './helpers/git-daemon.js';
import { LOCALBOOT_EXIT_CODE, LOCALBOOT_MARKER } from './helpers/mbr-disk.js';
import { removeNetns, startNetnsSite } from './helpers/netns-servers.js';
import { tftpRequestsInPcap } from './helpers/pcap-tftp.js';

// Network namespaces and tap devices need root (CAP_NET_ADMIN); say so rather than fail elsewhere.
const netns = await execa('ip', ['netns', 'add', `tbx-e2e-probe-${process.pid}`], { reject: false });
if (netns.exitCode === 0) await execa('ip', ['netns', 'del', `tbx-e2e-probe-${process.pid}`]);
const skip = netns.exitCode === 0 ? false : `cannot create a network namespace here (${netns.stderr.trim()}); run as root`;

test('scenario 5: backup against real servers (udhcpd, tftpd-hpa, nfs-ganesha + rpcbind) in a network namespace, shares over NFSv3', { timeout: 300_000, skip }, async (t) => {
  const ns = `tbx-e2e-${process.pid}`;
  const site = await createE2eSite(t, {
    imageFormat: 'gzip',
    network: async (dirs, defer) => {
      // Registered before the start, so a start that fails or times out halfway still leaves no namespace.
      defer(() => removeNetns(ns));
      const servers = await startNetnsSite(ns, { tftp: dirs.tftp, backup: dirs.backup, work: join(dirs.root, 'servers') });
      defer(() => servers.stop());
      const daemon = await startGitDaemon(dirs.root, { wrap: servers.wrap, listen: servers.server, guestHost: servers.server });
      defer(() => daemon.stop());
      return {
        daemon,
        shareArgs: [`tbx.backup=nfs:${servers.server}:/backup`, `tbx.tftp=nfs:${servers.server}:/tftp`],
        guest: { wrap: servers.wrap, netdev: 'tap,id=n0,ifname=tap0,script=no,downscript=no', pcap: join(dirs.root, 'guest.pcap') },
      };
    },
  });
  const started = Date.now();
  const original = await sha256Of(site.disk);
  await site.request(1, 'backup', 'e2e-servers-1');
  await site.reconcile();

  const guest = site.boot();
  await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
  await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
  assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE);
  t.diagnostic(`timeline: ${timeline(guest, { '/init': /tbx-init: starting/, 'agent done': /tbx-init: agent exited/, 'disk MBR': new RegExp(LOCALBOOT_MARKER) })}`);

  assert.ok(guest.serial.some((l) => l.text === 'tbx-init: mounted nfs:10.0.2.2:/backup on /mnt/testbox-backup'), 'backup share mounted over NFS');
  assert.ok(guest.serial.some((l) => l.text === 'tbx-init: mounted nfs:10.0.2.2:/tftp on /mnt/testbox-tftp'), 'TFTP share mounted over NFS');
  const files = await tftpRequestsInPcap(join(site.root, 'guest.pcap'));
  assertInOrder(files, ['pxelinux.0', `pxelinux.cfg/${BOX.hex}`, 'maintenance-boot/vmlinuz', 'maintenance-boot/initrd.img', 'pxelinux.0', 'pxelinux.cfg/default'], 'TFTP requests to tftpd-hpa');
  await assert.rejects(access(join(site.tftp, 'pxelinux.cfg', BOX.hex)), 'the agent removed its config over NFS');
  assert.equal(await sha256Of(join(site.backup, BOX.ip, 'sda.gz'), { gunzip: true }), original);
  assert.match(await readFile(join(site.backup, BOX.ip, 'status.yaml'), 'utf8'), /phase: Succeeded/);
  assert.equal((await site.repo.log())[0], 'tb-e2e: backup Succeeded (request e2e-servers-1)');
  await site.reconcile();
  assert.equal((await site.plan()).exitCode, 0);
  t.diagnostic(`scenario 5 (real servers): ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
