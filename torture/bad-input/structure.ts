import { boxYaml, SITE, siteWith, type BadCase } from './case.js';

const F = 'testboxes/tb-02.yaml';

/** Injection of PXELINUX directives or kernel arguments through any field. */
export const injectionCases: BadCase[] = [
  { kind: 'injection', name: 'newline + APPEND in request', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'action: backup\nrequest: "r1\\nAPPEND init=/bin/sh"\n') }, file: F, reason: /request/ },
  { kind: 'injection', name: 'second APPEND through extraArgs', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  extraArgs: ["quiet\\nAPPEND init=/bin/sh"]\n') }, file: 'fleet.yaml', reason: /extraArgs/ },
  { kind: 'injection', name: 'DEFAULT through extraArgs', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  extraArgs: ["x\\rDEFAULT evil"]\n') }, file: 'fleet.yaml', reason: /extraArgs/ },
  { kind: 'injection', name: 'space-split kernel argument', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  extraArgs: ["init=/bin/sh rw"]\n') }, file: 'fleet.yaml', reason: /extraArgs/ },
  { kind: 'injection', name: 'LABEL via kernel path', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  kernel: "vmlinuz\\nLABEL evil"\n') }, file: 'fleet.yaml', reason: /kernel/ },
  { kind: 'injection', name: 'quote in extraArgs', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  extraArgs: ["x=\\"y\\""]\n') }, file: 'fleet.yaml', reason: /extraArgs/ },
  { kind: 'injection', name: 'newline in a label value', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'labels: {rack: "b3\\nAPPEND x"}\n') }, file: F, reason: /labels/ },
  { kind: 'injection', name: 'newline in a reboot argument', files: { 'fleet.yaml': siteWith('power:\n  rebootCommand: ["ssh", "root@{ip}\\nreboot"]\n') }, file: 'fleet.yaml', reason: /rebootCommand|power/ },
  { kind: 'injection', name: 'unknown placeholder in reboot command', files: { 'fleet.yaml': siteWith('power:\n  rebootCommand: ["ipmitool", "-P", "{password}"]\n') }, file: 'testboxes/tb-01.yaml', reason: /\{password\}/ },
  { kind: 'injection', name: 'ethDevice with a colon (an extra ip= field)', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  ethDevice: "eth0:off"\n') }, file: 'fleet.yaml', reason: /ethDevice/ },
];

/** Names and files that try to reach outside the repo or the shares. */
export const traversalCases: BadCase[] = [
  { kind: 'traversal', name: 'box name with ../', files: { [F]: 'apiVersion: tbx/v1\nkind: Testbox\nname: ../../etc\nip: 10.165.98.222\n' }, file: F, reason: /name/ },
  { kind: 'traversal', name: 'disk ../../etc/passwd', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'disks: ["../../etc/passwd"]\n') }, file: F, reason: /disks/ },
  { kind: 'traversal', name: 'disk with a slash', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'disks: ["sda/../../x"]\n') }, file: F, reason: /disks/ },
  { kind: 'traversal', name: 'box file is a symlink to /etc/passwd', files: { [F]: null }, links: { [F]: '/etc/passwd' }, file: F, reason: /symlink/ },
  { kind: 'traversal', name: 'box file is a symlink within the repo', files: { 'other.yaml': boxYaml('tb-02', '10.165.98.222') }, links: { 'testboxes/tb-07.yaml': '../other.yaml' }, file: 'testboxes/tb-07.yaml', reason: /symlink/ },
  { kind: 'traversal', name: 'fleet.yaml is a symlink', files: { 'fleet.yaml': null, 'site.yaml': SITE }, links: { 'fleet.yaml': 'site.yaml' }, file: 'fleet.yaml', reason: /symlink/ },
  { kind: 'traversal', name: 'status file is a symlink', files: {}, links: { 'status/tb-02.yaml': '/etc/hostname' }, file: 'status/tb-02.yaml', reason: /symlink/ },
  { kind: 'traversal', name: 'initrd reaching up', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  initrd: maintenance-boot/../../initrd\n') }, file: 'fleet.yaml', reason: /initrd/ },
];

/** Files that are missing, misplaced or of the wrong kind. */
export const layoutCases: BadCase[] = [
  { kind: 'missing', name: 'no fleet.yaml', files: { 'fleet.yaml': null }, file: 'fleet.yaml', reason: /missing/ },
  { kind: 'missing', name: 'empty fleet.yaml', files: { 'fleet.yaml': '' }, file: 'fleet.yaml', reason: /mapping|empty/ },
  { kind: 'missing', name: 'fleet.yaml is a directory', files: { 'fleet.yaml': null, 'fleet.yaml/README': 'x\n' }, file: 'fleet.yaml', reason: /regular file/ },
  { kind: 'missing', name: 'fleet.yaml without boot', files: { 'fleet.yaml': 'apiVersion: tbx/v1\nkind: Site\n' }, file: 'fleet.yaml', reason: /boot/ },
  { kind: 'layout', name: 'box file named .yml', files: { 'testboxes/tb-05.yml': boxYaml('tb-05', '10.165.98.225') }, file: 'testboxes/tb-05.yml', reason: /only <name>\.yaml/ },
  { kind: 'layout', name: 'subdirectory in testboxes/', files: { 'testboxes/rack-b/tb-05.yaml': boxYaml('tb-05', '10.165.98.225') }, file: 'testboxes/rack-b', reason: /directory/ },
  { kind: 'layout', name: 'stray file in status/', files: { 'status/notes.txt': 'hi\n' }, file: 'status/notes.txt', reason: /only <name>\.yaml/ },
  { kind: 'layout', name: 'site file in testboxes/', files: { 'testboxes/tb-02.yaml': SITE }, file: F, reason: /kind/ },
  { kind: 'layout', name: 'box file in status/', files: { 'status/tb-02.yaml': boxYaml('tb-02', '10.165.98.222') }, file: 'status/tb-02.yaml', reason: /kind|unknown key/ },
];
