import { boxYaml, type BadCase } from './case.js';

const F = 'testboxes/tb-02.yaml';
const yaml = (name: string, text: string): BadCase => ({ kind: 'yaml-syntax', name, files: { [F]: text }, file: F, reason: /YAML/ });

/** YAML that does not parse. */
export const syntaxCases: BadCase[] = [
  yaml('unclosed flow sequence', boxYaml('tb-02', '[10.165.98.222')),
  yaml('unclosed flow mapping', 'apiVersion: tbx/v1\nkind: {Testbox\n'),
  yaml('unclosed double quote', boxYaml('tb-02', '"10.165.98.222')),
  yaml('unclosed single quote', "apiVersion: tbx/v1\nkind: 'Testbox\nname: tb-02\n"),
  yaml('tab indentation', 'apiVersion: tbx/v1\nkind: Testbox\nlabels:\n\track: b3\n'),
  yaml('bad indentation of a mapping', 'apiVersion: tbx/v1\nkind: Testbox\nname: tb-02\n  ip: 10.165.98.222\n'),
  yaml('duplicate key', boxYaml('tb-02', '10.165.98.222', 'ip: 10.165.98.223\n')),
  yaml('duplicate action key', boxYaml('tb-02', '10.165.98.222', 'action: none\naction: restore\n')),
  yaml('undefined alias', boxYaml('tb-02', '10.165.98.222', 'request: *nope\n')),
  yaml('two documents in one file', `${boxYaml('tb-02', '10.165.98.222')}---\n${boxYaml('tb-09', '10.165.98.229')}`),
  yaml('stray closing bracket', `${boxYaml('tb-02', '10.165.98.222')}]\n`),
  yaml('mapping value in a plain scalar', 'apiVersion: tbx/v1\nkind: Testbox: again\n'),
  yaml('unterminated block scalar indicator', 'apiVersion: tbx/v1\nkind: Testbox\nname: |x\n  tb-02\n'),
  { kind: 'yaml-syntax', name: 'unknown YAML version directive, then half a file', files: { [F]: '%YAML 9.9\n--- \napiVersion: tbx/v1\n' }, file: F, reason: /YAML|kind/ },
  yaml('truncated in a flow', `${boxYaml('tb-02', '10.165.98.222')}disks: [sda, `),
  { kind: 'yaml-syntax', name: 'alias bomb (billion laughs)', files: { [F]: `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n` }, file: F, reason: /alias|YAML|excessive/i },
  yaml('broken fleet.yaml', 'apiVersion: tbx/v1\nkind: Site\nboot: [\n'),
].map((c) => (c.name === 'broken fleet.yaml' ? { ...c, files: { 'fleet.yaml': c.files[F]! }, file: 'fleet.yaml' } : c));

/** Bytes that are not YAML text at all. */
export const binaryCases: BadCase[] = [
  { kind: 'binary', name: 'NUL bytes', files: { [F]: new Uint8Array([0x61, 0x3a, 0x00, 0x01, 0x02]) }, file: F, reason: /binary/ },
  { kind: 'binary', name: 'random bytes', files: { [F]: Uint8Array.from({ length: 512 }, (_, i) => (i * 73 + 41) % 256) }, file: F, reason: /binary|UTF-8/ },
  { kind: 'binary', name: 'PNG header', files: { [F]: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) }, file: F, reason: /binary|UTF-8/ },
  { kind: 'binary', name: 'gzip data', files: { [F]: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48]) }, file: F, reason: /binary|UTF-8/ },
  { kind: 'binary', name: 'UTF-16 text', files: { [F]: new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x3a, 0x00, 0x20, 0x00]) }, file: F, reason: /binary|UTF-8/ },
  { kind: 'binary', name: 'Latin-1 text (invalid UTF-8)', files: { [F]: new Uint8Array([...Buffer.from('apiVersion: tbx/v1\nname: tb-'), 0xe9, 0x0a]) }, file: F, reason: /UTF-8/ },
  { kind: 'binary', name: 'binary fleet.yaml', files: { 'fleet.yaml': new Uint8Array([0, 0, 0, 0]) }, file: 'fleet.yaml', reason: /binary/ },
];

/** Files far larger than any fleet file. */
export const hugeCases: BadCase[] = [
  { kind: 'huge', name: '300 KiB box file', files: { [F]: `${boxYaml('tb-02', '10.165.98.222')}# ${'x'.repeat(300 * 1024)}\n` }, file: F, reason: /limit/ },
  { kind: 'huge', name: '5 MiB fleet.yaml', files: { 'fleet.yaml': `#${'y'.repeat(5 * 1024 * 1024)}\n` }, file: 'fleet.yaml', reason: /limit/ },
  { kind: 'huge', name: 'a 1 MiB request id', files: { [F]: boxYaml('tb-02', '10.165.98.222', `action: backup\nrequest: ${'r'.repeat(1024 * 1024)}\n`) }, file: F, reason: /limit|request/ },
  { kind: 'huge', name: '100k list items', files: { [F]: boxYaml('tb-02', '10.165.98.222', `disks: [${Array(100_000).fill('sda').join(', ')}]\n`) }, file: F, reason: /limit|disks/ },
  { kind: 'huge', name: 'deep nesting', files: { [F]: `${boxYaml('tb-02', '10.165.98.222')}labels: ${'['.repeat(5000)}${']'.repeat(5000)}\n` }, file: F, reason: /limit|labels|YAML/ },
];
