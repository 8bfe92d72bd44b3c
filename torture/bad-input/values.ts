import { boxYaml, siteWith, type BadCase } from './case.js';

const F = 'testboxes/tb-02.yaml';
const box = (kind: string, name: string, extra: string, reason: RegExp, ip = '10.165.98.222'): BadCase => ({ kind, name, files: { [F]: boxYaml('tb-02', ip, extra) }, file: F, reason });
const site = (kind: string, name: string, text: string, reason: RegExp): BadCase => ({ kind, name, files: { 'fleet.yaml': text }, file: 'fleet.yaml', reason });
const rawBox = (kind: string, name: string, text: string, reason: RegExp): BadCase => ({ kind, name, files: { [F]: text }, file: F, reason });

/** Right keys, wrong types. */
export const typeCases: BadCase[] = [
  rawBox('wrong-type', 'name is a number', 'apiVersion: tbx/v1\nkind: Testbox\nname: 123\nip: 10.165.98.222\n', /name/),
  box('wrong-type', 'ip is a list', '', /ip/, '[10, 165, 98, 222]'),
  box('wrong-type', 'ip is a number', '', /ip/, '10165098222'),
  box('wrong-type', 'disks is a string', 'disks: sda\n', /disks/),
  box('wrong-type', 'disks holds a number', 'disks: [1]\n', /disks/),
  box('wrong-type', 'disks is empty', 'disks: []\n', /disks/),
  box('wrong-type', 'action is a boolean', 'action: true\n', /action/),
  box('wrong-type', 'action is null', 'action: null\n', /action/),
  box('wrong-type', 'request is a mapping', 'action: backup\nrequest: {id: 1}\n', /request/),
  box('wrong-type', 'suspend is a string', 'suspend: "yes"\n', /suspend/),
  box('wrong-type', 'labels is a list', 'labels: [rack]\n', /labels/),
  box('wrong-type', 'label value is a number', 'labels: {rack: 3}\n', /labels/),
  box('wrong-type', 'power is a string other than manual', 'power: automatic\n', /power/),
  box('wrong-type', 'power.rebootCommand is a shell string', 'power: {rebootCommand: "ssh root@x reboot"}\n', /power/),
  box('wrong-type', 'power.check.tcp is a string', 'power: {check: {tcp: ssh}}\n', /power/),
  site('wrong-type', 'maxConcurrent is a string', siteWith('  maxAttempts: "3"\n'), /maxAttempts/),
  site('wrong-type', 'boot is a list', 'apiVersion: tbx/v1\nkind: Site\nboot: [1, 2]\n', /boot/),
  site('wrong-type', 'extraArgs is a string', siteWith('').replace('boot:\n', 'boot:\n  extraArgs: quiet\n'), /extraArgs/),
  site('wrong-type', 'policy.windows is a string', siteWith('  windows: "* * * * *"\n'), /windows/),
  site('wrong-type', 'whole file is a list', '- apiVersion: tbx/v1\n- kind: Site\n', /mapping/),
  site('wrong-type', 'whole file is a scalar', 'just text\n', /mapping/),
  rawBox('wrong-type', 'empty box file', '', /mapping|empty/),
  rawBox('wrong-type', 'box file is only a comment', '# nothing here\n', /mapping|empty/),
  site('wrong-type', 'maxConcurrent zero', siteWith('').replace('maxConcurrent: 10', 'maxConcurrent: 0'), /maxConcurrent/),
  site('wrong-type', 'maxConcurrent fractional', siteWith('').replace('maxConcurrent: 10', 'maxConcurrent: 2.5'), /maxConcurrent/),
  site('wrong-type', 'maxConcurrent negative', siteWith('').replace('maxConcurrent: 10', 'maxConcurrent: -1'), /maxConcurrent/),
];

/** Right types, values outside what tbx accepts. */
export const valueCases: BadCase[] = [
  ...['256.1.1.1', '10.165.98', '10.165.98.222/24', '010.165.98.222', '::1', 'tb-02.lab', '"10.165.98.222 "', '"10.165.98.222\\n"', '1.2.3.4.5', '-1.0.0.1'].map((ip) => box('bad-value', `ip ${ip}`, '', /ip/, ip)),
  ...['TB-02', '-tb', 'tb-', 'tb_02', 'tb.02', 'ä-box', 'x'.repeat(64), '""'].map((n) => rawBox('bad-value', `name ${n.slice(0, 20)}`, `apiVersion: tbx/v1\nkind: Testbox\nname: ${n}\nip: 10.165.98.222\n`, /name/)),
  ...['sda1', '/dev/sda', 'nvme0', 'sda sdb', 'loop0', 'dm-0', 'md0', 'sr0'].map((d) => box('bad-value', `disk ${d}`, `disks: ["${d}"]\n`, /disks/)),
  ...['format', 'RESTORE', '""', 'restore; rm -rf /', 'wipe'].map((a) => box('bad-value', `action ${a}`, `action: ${a}\nrequest: r1\n`, /action/)),
  ...['"with space"', '"-leading-dash"', `"${'r'.repeat(65)}"`, '"ünicode"', '"r1$(reboot)"', '"r1;reboot"', '"r/1"'].map((r) => box('bad-value', `request ${r.slice(0, 20)}`, `action: backup\nrequest: ${r}\n`, /request/)),
  site('bad-value', 'kernel with ..', siteWith('').replace('boot:\n', 'boot:\n  kernel: ../../etc/passwd\n'), /kernel/),
  site('bad-value', 'kernel absolute', siteWith('').replace('boot:\n', 'boot:\n  kernel: /boot/vmlinuz\n'), /kernel/),
  site('bad-value', 'initrd with a space', siteWith('').replace('boot:\n', 'boot:\n  initrd: "initrd img"\n'), /initrd/),
  site('bad-value', 'nfsRoot relative', siteWith('').replace('boot:\n', 'boot:\n  nfsRoot: export/root\n'), /nfsRoot/),
  site('bad-value', 'nfsRoot with ..', siteWith('').replace('boot:\n', 'boot:\n  nfsRoot: /export/../etc\n'), /nfsRoot/),
  site('bad-value', 'ethDevice with a space', siteWith('').replace('boot:\n', 'boot:\n  ethDevice: "eth 0"\n'), /ethDevice/),
  site('bad-value', 'ipConfig auto', siteWith('').replace('boot:\n', 'boot:\n  ipConfig: auto\n'), /ipConfig/),
  site('bad-value', 'static without gateway', 'apiVersion: tbx/v1\nkind: Site\nboot:\n  nfsServer: 10.165.98.101\n  netmask: 255.255.254.0\n', /gateway/),
  site('bad-value', 'nfsServer not an IP', siteWith('').replace('nfsServer: 10.165.98.101', 'nfsServer: nfs.lab'), /nfsServer/),
  site('bad-value', 'actionTimeout in words', siteWith('  actionTimeout: two hours\n'), /actionTimeout/),
  site('bad-value', 'window that is not cron', siteWith('  windows: ["weeknights"]\n'), /window/),
  site('bad-value', 'window with a bad field', siteWith('  windows: ["* 25 * * *"]\n'), /window/),
  site('bad-value', 'unknown time zone', siteWith('  timezone: Mars/Olympus\n'), /time zone|timezone/),
  site('bad-value', 'power timeout zero', siteWith('power:\n  rebootCommand: [reboot]\n  timeoutSeconds: 0\n'), /timeoutSeconds/),
  site('bad-value', 'maxAttempts huge', siteWith('  maxAttempts: 100000\n'), /maxAttempts/),
];
