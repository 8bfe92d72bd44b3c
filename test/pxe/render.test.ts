import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hexIp, ipFromHex } from '../../lib/hex-ip.js';
import { isOwnDefault, parseAppend, parseOwner } from '../../pxe/marker.js';
import { configName, renderBoxConfig, renderDefaultConfig } from '../../pxe/render.js';
import { site } from '../helpers/builders.js';

/** The seed's own example: site 10.165.98.101 / gw 10.165.98.1 / mask 255.255.254.0 / eth0, box 10.165.98.220. */
const seedSite = () => {
  const s = site();
  s.boot.kernel = 'maintenance-boot/vmlinuz-3.16.0-4-amd64';
  s.boot.initrd = 'maintenance-boot/initrd.img-3.16.0-4-amd64';
  return s;
};

describe('renderBoxConfig', () => {
  test("seed example -> every token the seed's emitter writes, in its file 0AA562DC", () => {
    assert.equal(configName('10.165.98.220'), '0AA562DC');
    const text = renderBoxConfig(seedSite(), { name: 'tb-linux-01', ip: '10.165.98.220', action: 'restore', request: '2026-11-24-a' });
    const lines = text.split('\n');
    for (const l of ['PATH bios', 'DEFAULT maintenance', 'LABEL maintenance', 'MENU LABEL Maintenance (NFS)', 'KERNEL maintenance-boot/vmlinuz-3.16.0-4-amd64', 'LABEL local-boot']) {
      assert.ok(lines.includes(l), `missing line ${l}`);
    }
    assert.ok(lines.some((l) => /^LOCALBOOT( 0)?$/.test(l)));
    const append = lines.filter((l) => l.startsWith('APPEND '));
    assert.equal(append.length, 1, 'exactly one APPEND line');
    const tokens = append[0]!.split(' ').slice(1);
    for (const t of [
      'initrd=maintenance-boot/initrd.img-3.16.0-4-amd64',
      'testbox-action-restore',
      'ro',
      'aufs=tmpfs',
      'boot=nfs',
      'root=/dev/nfs',
      'nfsroot=10.165.98.101:/export/testbox-nfsroot,ro,tcp',
      'nfsvers=3',
      'nfsrootdebug',
      'ip=10.165.98.220:10.165.98.101:10.165.98.1:255.255.254.0:maintenance:eth0',
    ]) {
      assert.ok(tokens.includes(t), `missing token ${t}`);
    }
    assert.ok(tokens.includes('testbox-request=2026-11-24-a'));
    assert.ok(tokens.includes('testbox-name=tb-linux-01'));
    // the static ip= has exactly six fields: the initramfs' ipconfig refuses more
    assert.equal(tokens.find((t) => t.startsWith('ip='))!.slice(3).split(':').length, 6);
  });

  test('first line is the ownership marker, and it parses back', () => {
    const text = renderBoxConfig(seedSite(), { name: 'tb-linux-01', ip: '10.165.98.220', action: 'backup', request: 'r-1' });
    assert.equal(text.split('\n')[0], '# managed-by: tbx box=tb-linux-01 request=r-1 action=backup');
    assert.deepEqual(parseOwner(text), { box: 'tb-linux-01', request: 'r-1', action: 'backup' });
    assert.deepEqual(parseAppend(text), { action: 'backup', request: 'r-1', name: 'tb-linux-01' });
  });

  test('dhcp site -> ip=dhcp instead of the six-field line', () => {
    const s = seedSite();
    s.boot.ipConfig = 'dhcp';
    const text = renderBoxConfig(s, { name: 'a', ip: '10.0.0.1', action: 'backup', request: 'r' });
    assert.match(text, / ip=dhcp /);
  });

  test('extra args are appended as single tokens on the one APPEND line', () => {
    const s = seedSite();
    s.boot.extraArgs = ['console=ttyS0,115200', 'quiet'];
    const text = renderBoxConfig(s, { name: 'a', ip: '10.0.0.1', action: 'backup', request: 'r' });
    assert.match(text, /testbox-name=a testbox-format=chunked testbox-keep=3 testbox-free-space=skip console=ttyS0,115200 quiet\n/);
  });

  test('a value with a newline or a space cannot add a directive -> refused', () => {
    for (const bad of ['x\nAPPEND evil', 'a b', 'q"uote']) {
      const s = seedSite();
      s.boot.extraArgs = [bad];
      assert.throws(() => renderBoxConfig(s, { name: 'a', ip: '10.0.0.1', action: 'backup', request: 'r' }), /refusing PXE token/);
      assert.throws(() => renderBoxConfig(seedSite(), { name: 'a', ip: '10.0.0.1', action: 'backup', request: bad }), /refusing PXE token/);
    }
  });
});

describe('ownership marker', () => {
  test('marker on a later line does not make a file tbx-owned', () => {
    assert.equal(parseOwner('DEFAULT x\n# managed-by: tbx box=a request=r action=backup\n'), undefined);
    assert.equal(parseOwner('#managed-by: tbx box=a request=r\n'), undefined);
  });
  test('marker written before the action field existed still parses', () => {
    assert.deepEqual(parseOwner('# managed-by: tbx box=a request=r\n'), { box: 'a', request: 'r' });
  });
  test('default file: tbx marks its own; the seed-style file is foreign', () => {
    assert.equal(isOwnDefault(renderDefaultConfig()), true);
    assert.equal(isOwnDefault('PATH bios\nDEFAULT local-boot\n'), false);
    assert.match(renderDefaultConfig(), /^DEFAULT local-boot$/m);
    assert.match(renderDefaultConfig(), /^LOCALBOOT 0$/m);
  });
});

describe('hex IP', () => {
  test('the seed examples', () => {
    assert.equal(hexIp('10.165.98.220'), '0AA562DC');
    assert.equal(hexIp('10.0.2.15'), '0A00020F');
    assert.equal(ipFromHex('0A00020F'), '10.0.2.15');
  });
  test('anything but a dotted quad is refused', () => {
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1 ', '../x', '']) assert.throws(() => hexIp(bad), RangeError, bad);
    assert.equal(ipFromHex('0a00020f'), undefined, 'PXELINUX asks for upper case only');
  });
});
