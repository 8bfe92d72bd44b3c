import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { BOX, createE2eSite } from './helpers/e2e-site.js';
import { assertInOrder, bootsOf, configOutcome, sha256Of, timeline } from './helpers/evidence.js';
import { startGitDaemon } from './helpers/git-daemon.js';
import { LOCALBOOT_EXIT_CODE, LOCALBOOT_MARKER } from './helpers/mbr-disk.js';
import { removeNetns, startNetnsSite } from './helpers/netns-servers.js';
import { bootTrafficInPcap } from './helpers/pcap.js';

// Network namespaces and tap devices need root (CAP_NET_ADMIN). Where they cannot be made the
// scenario is skipped, loudly; in CI (CI=1) or with TBX_E2E_REQUIRE_SERVERS=1 it fails instead.
const probe = `tbx-e2e-probe-${process.pid}`;
const netns = await execa('ip', ['netns', 'add', probe], { reject: false });
if (netns.exitCode === 0) await execa('ip', ['netns', 'del', probe]);
const unavailable = netns.exitCode === 0 ? undefined : `cannot create a network namespace here (ip netns add: ${(netns.stderr || netns.shortMessage || `exit code ${netns.exitCode}`).trim()}); run as root`;
const required = process.env.CI === '1' || process.env.CI === 'true' || process.env.TBX_E2E_REQUIRE_SERVERS === '1';
if (unavailable && !required) process.stderr.write(`\n*** e2e scenario 5 (real servers) SKIPPED: ${unavailable}. Set TBX_E2E_REQUIRE_SERVERS=1 to make this a failure. ***\n\n`);

test('scenario 5: backup against real servers (udhcpd, tftpd-hpa, nfs-ganesha + rpcbind) in a network namespace, shares over NFSv3, network by DHCP in /init', { timeout: 300_000, skip: !required && unavailable }, async (t) => {
  assert.equal(unavailable, undefined, `scenario 5 is required here (CI or TBX_E2E_REQUIRE_SERVERS=1) but ${unavailable}`);
  const ns = `tbx-e2e-${process.pid}`;
  const site = await createE2eSite(t, {
    imageFormat: 'gzip',
    // /init takes its address from udhcpd (ip=dhcp), not from a static ip= argument.
    ipConfig: 'dhcp',
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
  assert.match(await readFile(join(site.tftp, 'pxelinux.cfg', BOX.hex), 'utf8'), /^APPEND .*\bip=dhcp\b/m, 'the PXE file tells /init to use DHCP');

  const guest = site.boot();
  await guest.waitFor(/tbx-init: agent exited 0/, 200_000);
  await guest.waitFor(new RegExp(LOCALBOOT_MARKER), 90_000);
  assert.equal(await guest.exited, LOCALBOOT_EXIT_CODE);
  t.diagnostic(`timeline: ${timeline(guest, { '/init': /tbx-init: starting/, 'network': /tbx-init: network up/, 'agent done': /tbx-init: agent exited/, 'disk MBR': new RegExp(LOCALBOOT_MARKER) })}`);

  assert.ok(guest.serial.some((l) => /^tbx-init: network up: eth0 10\.0\.2\.15\/24/.test(l.text)), `/init got 10.0.2.15 from udhcpd:\n${guest.serial.filter((l) => /tbx-init/.test(l.text)).map((l) => l.text).join('\n')}`);
  assert.ok(guest.serial.some((l) => l.text === 'tbx-init: mounted nfs:10.0.2.2:/backup on /mnt/testbox-backup'), 'backup share mounted over NFS');
  assert.ok(guest.serial.some((l) => l.text === 'tbx-init: mounted nfs:10.0.2.2:/tftp on /mnt/testbox-tftp'), 'TFTP share mounted over NFS');
  // On the wire: the firmware's DHCP and TFTP, then Linux's own DHCP (udhcpc) in /init, then the reboot's.
  // DHCP clients by vendor class: "PXEClient:Arch:..." is the firmware, "udhcp 1.35.0" busybox's udhcpc.
  const traffic = (await bootTrafficInPcap(join(site.root, 'guest.pcap'))).map((e) => e.replace(/^(dhcp \w+ [^: ]+).*$/, '$1'));
  assertInOrder(traffic, ['dhcp DISCOVER PXEClient', 'tftp pxelinux.0', `tftp pxelinux.cfg/${BOX.hex}`, 'tftp maintenance-boot/vmlinuz', 'tftp maintenance-boot/initrd.img', 'dhcp DISCOVER udhcp', 'dhcp REQUEST udhcp', 'tftp pxelinux.0', 'tftp pxelinux.cfg/default'], 'guest traffic to udhcpd and tftpd-hpa');
  const files = traffic.filter((e) => e.startsWith('tftp ')).map((e) => e.slice(5));
  assert.deepEqual(bootsOf(files).map((b) => configOutcome(b, `pxelinux.cfg/${BOX.hex}`)), ['served', 'missing'], 'tftpd-hpa served the config once, then it was gone');

  const cfg = join(site.tftp, 'pxelinux.cfg', BOX.hex);
  await assert.rejects(access(cfg), 'the agent removed its config over NFS');
  assert.equal(await sha256Of(join(site.backup, BOX.ip, 'sda.gz'), { gunzip: true }), original);
  assert.match(await readFile(join(site.backup, BOX.ip, 'status.yaml'), 'utf8'), /phase: Succeeded/);
  const log = await site.repo.log();
  assert.equal(log[0], 'tb-e2e: backup Succeeded (request e2e-servers-1)');

  const again = await site.reconcile();
  assert.deepEqual(await site.repo.log(), log, 'a second pass commits nothing');
  await assert.rejects(access(cfg), 'a second pass writes no config');
  assert.equal((await site.plan()).exitCode, 0, `plan shows no changes:\n${again.all}`);
  t.diagnostic(`scenario 5 (real servers, DHCP): ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
