/**
 * A disk that fails at offset N, for the read-error fault: a tiny FUSE file system (spoken
 * directly over /dev/fuse, no libfuse) serving one regular file `<name>` whose bytes come from
 * a backing file, except that every read reaching offset N or beyond fails with EIO, as a
 * disk with a bad sector does. Reads are direct (no page cache), so each read() the agent
 * makes reaches this server: a read that starts below N and ends beyond it gets the bytes
 * up to N (the kernel's usual short read), the next one EIO.
 *
 * Writes go to the backing file too, except those at or beyond the optional
 * `<drop-writes-at>`: these are acknowledged and thrown away, as a disk whose cache lies
 * does. fallocate is not supported, so a restore writes its zeros.
 *
 * Run as its own process (it blocks on /dev/fuse):
 *   node failing-disk-server.js <mountpoint> <backing-file> <name> <fail-at-offset> [<drop-writes-at>]
 * It prints `ready` once mounted and serves until the mount goes away (umount).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { execa } from 'execa';

const [mountpoint, backing, name, failAtText, dropAtText] = process.argv.slice(2);
if (!mountpoint || !backing || !name || !failAtText) throw new Error('usage: failing-disk-server <mountpoint> <backing-file> <name> <fail-at-offset> [<drop-writes-at>]');
const failAt = Number(failAtText);
const dropAt = dropAtText === undefined ? Infinity : Number(dropAtText);
const OP = { lookup: 1, forget: 2, getattr: 3, open: 14, read: 15, write: 16, statfs: 17, fsync: 20, release: 18, flush: 25, init: 26, opendir: 27, readdir: 28, releasedir: 29, access: 34, interrupt: 36, destroy: 38, batchForget: 42 } as const;
const ENOENT = 2;
const EIO = 5;
const ENOSYS = 38;
const ROOT = 1n;
const FILE = 2n;
const FOPEN_DIRECT_IO = 1;

const data = openSync(backing, 'r+');
const size = fstatSync(data).size;
const fuse = openSync('/dev/fuse', 'r+');
// The kernel takes the open /dev/fuse as the mount's channel; mount(8) gets it as fd 3.
// (execa passes a raw fd number through at run time; its types only list it for fds 0-2.)
const channel = fuse as unknown as 'inherit';
await execa('mount', ['-i', '-t', 'fuse', '-o', 'fd=3,rootmode=40000,user_id=0,group_id=0,max_read=131072', 'tbx-failing-disk', mountpoint], { stdio: ['ignore', 'inherit', 'inherit', channel] });
process.stdout.write('ready\n');

const attr = (node: bigint): Buffer => {
  const a = Buffer.alloc(88);
  const file = node === FILE;
  a.writeBigUInt64LE(node, 0);
  a.writeBigUInt64LE(BigInt(file ? size : 0), 8);
  a.writeBigUInt64LE(BigInt(file ? Math.ceil(size / 512) : 0), 16);
  a.writeUInt32LE(file ? 0o100644 : 0o40755, 60);
  a.writeUInt32LE(file ? 1 : 2, 64);
  a.writeUInt32LE(4096, 80);
  return a;
};
const reply = (unique: bigint, error: number, body: Buffer = Buffer.alloc(0)) => {
  const head = Buffer.alloc(16);
  head.writeUInt32LE(16 + body.length, 0);
  head.writeInt32LE(-error, 4);
  head.writeBigUInt64LE(unique, 8);
  writeSync(fuse, Buffer.concat([head, body]));
};

const buf = Buffer.alloc(1 << 20 | 4096);
for (;;) {
  let n: number;
  try {
    n = readSync(fuse, buf, 0, buf.length, null);
  } catch {
    break; // ENODEV: unmounted
  }
  const opcode = buf.readUInt32LE(4);
  const unique = buf.readBigUInt64LE(8);
  const node = buf.readBigUInt64LE(16);
  const body = buf.subarray(40, n);
  switch (opcode) {
    case OP.init: {
      const out = Buffer.alloc(64);
      out.writeUInt32LE(7, 0);
      out.writeUInt32LE(Math.min(31, body.readUInt32LE(4)), 4);
      out.writeUInt32LE(body.readUInt32LE(8), 8);
      out.writeUInt16LE(16, 16);
      out.writeUInt16LE(12, 18);
      out.writeUInt32LE(131072, 20);
      out.writeUInt32LE(1, 24);
      reply(unique, 0, out);
      break;
    }
    case OP.lookup: {
      if (node !== ROOT || body.subarray(0, body.indexOf(0)).toString() !== name) {
        reply(unique, ENOENT);
        break;
      }
      const out = Buffer.alloc(40);
      out.writeBigUInt64LE(FILE, 0);
      reply(unique, 0, Buffer.concat([out, attr(FILE)]));
      break;
    }
    case OP.getattr:
      reply(unique, 0, Buffer.concat([Buffer.alloc(16), attr(node)]));
      break;
    case OP.open:
    case OP.opendir: {
      const out = Buffer.alloc(16);
      out.writeUInt32LE(FOPEN_DIRECT_IO, 8);
      reply(unique, 0, out);
      break;
    }
    case OP.read: {
      const offset = Number(body.readBigUInt64LE(8));
      const want = body.readUInt32LE(16);
      if (offset >= failAt) {
        reply(unique, EIO);
        break;
      }
      const len = Math.max(0, Math.min(want, size - offset, failAt - offset));
      const out = Buffer.alloc(len);
      let got = 0;
      while (got < len) got += readSync(data, out, got, len - got, offset + got);
      reply(unique, 0, out);
      break;
    }
    case OP.write: {
      const offset = Number(body.readBigUInt64LE(8));
      const length = body.readUInt32LE(16);
      const kept = Math.max(0, Math.min(length, dropAt - offset, size - offset));
      for (let put = 0; put < kept; ) put += writeSync(data, body, 40 + put, kept - put, offset + put);
      const out = Buffer.alloc(8);
      out.writeUInt32LE(length, 0);
      reply(unique, 0, out);
      break;
    }
    case OP.readdir: {
      const offset = Number(body.readBigUInt64LE(8));
      if (offset > 0) {
        reply(unique, 0);
        break;
      }
      const entry = Buffer.alloc(24 + Math.ceil(name.length / 8) * 8);
      entry.writeBigUInt64LE(FILE, 0);
      entry.writeBigUInt64LE(1n, 8);
      entry.writeUInt32LE(name.length, 16);
      entry.writeUInt32LE(8, 20); // DT_REG
      entry.write(name, 24);
      reply(unique, 0, entry);
      break;
    }
    case OP.statfs:
      reply(unique, 0, Buffer.alloc(80));
      break;
    case OP.fsync:
    case OP.release:
    case OP.releasedir:
    case OP.flush:
    case OP.access:
      reply(unique, 0);
      break;
    case OP.forget:
    case OP.batchForget:
    case OP.interrupt:
      break; // no reply expected
    case OP.destroy:
      reply(unique, 0);
      closeSync(fuse);
      process.exit(0);
    // falls through (never reached)
    default:
      reply(unique, ENOSYS);
  }
}
closeSync(data);
