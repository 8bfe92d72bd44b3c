import { boxYaml, siteWith, type BadCase } from './case.js';

const F = 'testboxes/tb-02.yaml';
const statusYaml = (name: string, ip: string, extra = '') => `apiVersion: tbx/v1\nkind: TestboxStatus\nname: ${name}\nip: ${ip}\nrequest: r1\naction: backup\nattempt: 1\nphase: Succeeded\nstartedAt: "2026-11-24T10:00:00Z"\n${extra}`;

/** Rules that span files: uniqueness, naming, reserved addresses, references. */
export const crossCases: BadCase[] = [
  { kind: 'cross-file', name: 'duplicate ip of two boxes', files: { [F]: boxYaml('tb-02', '10.165.98.221') }, file: F, reason: /duplicate ip 10\.165\.98\.221/ },
  { kind: 'cross-file', name: 'duplicate ip of three boxes', files: { [F]: boxYaml('tb-02', '10.165.98.221'), 'testboxes/tb-04.yaml': boxYaml('tb-04', '10.165.98.221') }, file: 'testboxes/tb-04.yaml', reason: /duplicate ip/ },
  { kind: 'cross-file', name: 'name differs from the file name', files: { [F]: boxYaml('tb-22', '10.165.98.222') }, file: F, reason: /must equal the file name/ },
  { kind: 'cross-file', name: 'two files claim the same name', files: { 'testboxes/tb-05.yaml': boxYaml('tb-01', '10.165.98.225') }, file: 'testboxes/tb-05.yaml', reason: /duplicate name|must equal the file name/ },
  { kind: 'cross-file', name: 'box takes the NFS server address', files: { [F]: boxYaml('tb-02', '10.165.98.101') }, file: F, reason: /nfsServer/ },
  { kind: 'cross-file', name: 'box takes the gateway address', files: { [F]: boxYaml('tb-02', '10.165.98.1') }, file: F, reason: /gateway/ },
  { kind: 'cross-file', name: 'status file for another name', files: { 'status/tb-02.yaml': statusYaml('tb-03', '10.165.98.222') }, file: 'status/tb-02.yaml', reason: /must equal the file name/ },
  { kind: 'cross-file', name: 'status with an unknown phase', files: { 'status/tb-02.yaml': statusYaml('tb-02', '10.165.98.222').replace('Succeeded', 'Done') }, file: 'status/tb-02.yaml', reason: /phase/ },
  { kind: 'cross-file', name: 'status with attempt 0', files: { 'status/tb-02.yaml': statusYaml('tb-02', '10.165.98.222').replace('attempt: 1', 'attempt: 0') }, file: 'status/tb-02.yaml', reason: /attempt/ },
  { kind: 'cross-file', name: 'status with a bad timestamp', files: { 'status/tb-02.yaml': statusYaml('tb-02', '10.165.98.222').replace('"2026-11-24T10:00:00Z"', 'yesterday') }, file: 'status/tb-02.yaml', reason: /startedAt/ },
  { kind: 'cross-file', name: 'note without conditions', files: { 'notes/tb-02.yaml': 'apiVersion: tbx/v1\nkind: TestboxNote\nname: tb-02\nrequest: r1\n' }, file: 'notes/tb-02.yaml', reason: /conditions/ },
  { kind: 'cross-file', name: 'reboot command needs a label a box lacks', files: { 'fleet.yaml': siteWith('power:\n  rebootCommand: [ipmitool, -H, "{labels.bmc}", chassis, power, cycle]\n') }, file: 'testboxes/tb-01.yaml', reason: /\{labels\.bmc\}/ },
  { kind: 'cross-file', name: 'both check and checkCommand', files: { 'fleet.yaml': siteWith('power:\n  checkCommand: [ssh, "root@{ip}", "true"]\n  check: {tcp: 22}\n') }, file: 'fleet.yaml', reason: /not both/ },
];

/** Requests that contradict themselves or each other. */
export const conflictCases: BadCase[] = [
  { kind: 'conflict', name: 'restore without a request id', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'action: restore\n') }, file: F, reason: /request/ },
  { kind: 'conflict', name: 'backup without a request id', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'action: backup\n') }, file: F, reason: /request/ },
  { kind: 'conflict', name: 'rescue without a request id', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'action: rescue\n') }, file: F, reason: /request/ },
  { kind: 'conflict', name: 'same box asked twice under two names (same ip)', files: { 'testboxes/tb-06.yaml': boxYaml('tb-06', '10.165.98.220', 'action: backup\nrequest: other\n') }, file: 'testboxes/tb-06.yaml', reason: /duplicate ip/ },
  { kind: 'conflict', name: 'renamed box keeps the old file too', files: { 'testboxes/tb-01-new.yaml': boxYaml('tb-01-new', '10.165.98.220', 'action: restore\nrequest: r9\n') }, file: 'testboxes/tb-01-new.yaml', reason: /duplicate ip/ },
  { kind: 'conflict', name: 'restore and wipe in one file (duplicate keys)', files: { [F]: boxYaml('tb-02', '10.165.98.222', 'action: restore\nrequest: a\naction: backup\n') }, file: F, reason: /YAML/ },
];

/** Keys tbx does not know: typos must not be silently ignored. */
export const unknownKeyCases: BadCase[] = [
  ...['acton: restore', 'requests: r1', 'disk: [sda]', 'suspended: true', 'Name: tb-02', 'ipaddr: 10.0.0.1', 'force-restore: true', 'lables: {a: b}'].map(
    (line): BadCase => ({ kind: 'unknown-key', name: `box key ${line.split(':')[0]}`, files: { [F]: boxYaml('tb-02', '10.165.98.222', `${line}\n`) }, file: F, reason: new RegExp(`unknown key '${line.split(':')[0]}'`) }),
  ),
  { kind: 'unknown-key', name: 'site key boot.nfsserver', files: { 'fleet.yaml': siteWith('').replace('boot:\n', 'boot:\n  nfsserver: 10.0.0.1\n') }, file: 'fleet.yaml', reason: /unknown key 'nfsserver'/ },
  { kind: 'unknown-key', name: 'site key policy.maxconcurrent', files: { 'fleet.yaml': siteWith('  maxconcurrent: 3\n') }, file: 'fleet.yaml', reason: /unknown key 'maxconcurrent'/ },
  { kind: 'unknown-key', name: 'site key power.reboot', files: { 'fleet.yaml': siteWith('power:\n  reboot: [reboot]\n') }, file: 'fleet.yaml', reason: /unknown key 'reboot'/ },
  { kind: 'unknown-key', name: 'site top-level key', files: { 'fleet.yaml': siteWith('suspend: true\n') }, file: 'fleet.yaml', reason: /unknown key 'suspend'/ },
  { kind: 'unknown-key', name: 'apiVersion v2', files: { [F]: boxYaml('tb-02', '10.165.98.222').replace('tbx/v1', 'tbx/v2') }, file: F, reason: /apiVersion/ },
  { kind: 'unknown-key', name: 'kind missing', files: { [F]: boxYaml('tb-02', '10.165.98.222').replace('kind: Testbox\n', '') }, file: F, reason: /kind/ },
  { kind: 'unknown-key', name: 'apiVersion missing', files: { [F]: boxYaml('tb-02', '10.165.98.222').replace('apiVersion: tbx/v1\n', '') }, file: F, reason: /apiVersion/ },
  { kind: 'unknown-key', name: 'status with an unknown key', files: { 'status/tb-02.yaml': `apiVersion: tbx/v1\nkind: TestboxStatus\nname: tb-02\nip: 10.165.98.222\nrequest: r1\naction: backup\nattempt: 1\nphase: Running\nstartedAt: "2026-11-24T10:00:00Z"\nprogress: 50\n` }, file: 'status/tb-02.yaml', reason: /unknown key 'progress'/ },
];
