import { readdir, readFile, lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import yazl from 'yazl';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { BOX_FILES } from '../share/layout.js';

/** Where the info step reads the machine's description (injectable for tests). */
export interface InfoPaths {
  procDir: string;
  sysFirmware: string;
}

/** Commands whose output goes into testbox-info.txt, in the seed's order, after /proc/cpuinfo. */
const COMMANDS: [string, string[]][] = [
  ['lspci', ['-vvv']],
  ['biosdecode', []],
  ['dmidecode', []],
  ['fdisk', ['-l']],
  ['dmesg', []],
];

/**
 * Rewrite `testbox-info.txt` (seed step 7): IP, hex IP and host name, then /proc/cpuinfo and
 * the output of lspci, biosdecode, dmidecode, fdisk and dmesg, each under a banner. A
 * missing tool is noted, not fatal.
 */
export async function writeInfoFile(boxDir: string, ip: string, hex: string, host: string, paths: InfoPaths): Promise<void> {
  const parts = [`IP: ${ip}`, `HEX-IP: ${hex}`, `Hostname: ${host}`, ''];
  const banner = (title: string) => Array(3).fill(`**** ${title} ****`).join('\n');
  parts.push(banner('cat /proc/cpuinfo'), await readFile(join(paths.procDir, 'cpuinfo'), 'utf8').catch((e: Error) => `(unreadable: ${e.message})\n`));
  for (const [cmd, args] of COMMANDS) {
    const r = await execa(cmd, args, { reject: false, all: true, timeout: 60_000, stdin: 'ignore' });
    const output = r.failed && r.exitCode === undefined ? `${cmd}: not available (${(r.shortMessage ?? "").split('\n')[0]})\n` : `${r.all ?? ''}\n`;
    parts.push('', banner(`${cmd}${args.length ? ` ${args.join(' ')}` : ''}`), output);
  }
  await writeFileAtomic(join(boxDir, BOX_FILES.info), parts.join('\n'));
}

/**
 * Zip /proc/cpuinfo and /sys/firmware into `testbox-info.zip` (seed step 7). Like the seed,
 * zip rather than tar because sysfs files report a wrong size, and `raw_event_log` files
 * are skipped because reading them causes I/O errors.
 */
export async function writeInfoZip(boxDir: string, paths: InfoPaths): Promise<void> {
  const zip = new yazl.ZipFile();
  const add = async (file: string, name: string) => {
    const data = await readFile(file).catch(() => undefined);
    if (data) zip.addBuffer(data, name);
  };
  await add(join(paths.procDir, 'cpuinfo'), 'proc/cpuinfo');
  for (const file of await walk(paths.sysFirmware)) {
    if (file.endsWith('/raw_event_log')) continue;
    await add(file, `sys/firmware/${relative(paths.sysFirmware, file)}`);
  }
  zip.end();
  // A few hundred KiB of ACPI tables at most: collect in memory, then one atomic write.
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await writeFileAtomic(join(boxDir, BOX_FILES.infoZip), Buffer.concat(chunks));
}

/** The seed's finder files: `<ip>/<hostname>` and `<ip>/<HEXIP>` holding the dotted IP. */
export async function writeFinderFiles(boxDir: string, ip: string, hex: string, host: string): Promise<void> {
  if (host !== 'unknown' && /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(host)) {
    await writeIfMissing(join(boxDir, host), `${host}\n`);
  }
  await writeIfMissing(join(boxDir, hex), `${ip}\n`);
}

async function writeIfMissing(path: string, content: string): Promise<void> {
  if (await lstat(path).then(() => true, () => false)) return;
  await writeFileAtomic(path, content);
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
