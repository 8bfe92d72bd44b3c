import type { DiskTarget, ImageSummary } from '../imaging/store.js';

/** What the gate decided for one disk: refuse (with the reason) or go ahead (with notes to log). */
export type GateVerdict = { ok: false; reason: string } | { ok: true; notes: string[] };

/**
 * The disk identity gate of a restore (pure). An image is written onto a disk only if:
 * - the disk is at least as large as the disk the image was taken from (never overridable:
 *   the end of the image would be cut off);
 * - the disk's serial is the one recorded at backup, and the image was taken on this box,
 *   unless the request says `force: true`.
 * What was not recorded (seed images, disks without a serial) cannot be checked; that is
 * said in the notes, never guessed at.
 */
export function checkRestoreIdentity(disk: DiskTarget, image: ImageSummary, box: { ip: string; force: boolean }): GateVerdict {
  const o = image.origin;
  const size = o?.size ?? image.logicalBytes;
  const dev = `/dev/${disk.device}`;
  if (size !== null && size !== undefined && disk.size < size) {
    return { ok: false, reason: `${dev} has ${disk.size} bytes, fewer than the ${size} of the disk ${image.ref} was taken from; refusing (force: true does not override this), 0 bytes written` };
  }
  const notes: string[] = [];
  const forced = (what: string) => `${what}; restoring anyway because the request says force: true`;
  const refuse = (what: string) => ({ ok: false as const, reason: `${what}; refusing, 0 bytes written (set force: true in the request if this is intended)` });
  if (o?.ip && o.ip !== box.ip) {
    const what = `${image.ref} was taken from another box (${o.name ? `${o.name}, ` : ''}${o.ip})`;
    if (!box.force) return refuse(what);
    notes.push(forced(what));
  }
  if (o?.serial && disk.serial && o.serial !== disk.serial) {
    const what = `${dev} has serial ${disk.serial}${disk.model ? ` (${disk.model})` : ''}, but ${image.ref} was taken from serial ${o.serial}${o.model ? ` (${o.model})` : ''}`;
    if (!box.force) return refuse(what);
    notes.push(forced(what));
  } else if (!o?.serial || !disk.serial) {
    notes.push(`${dev}: ${!o ? `${image.ref} records no disk identity (a seed image?)` : !o.serial ? `${image.ref} records no serial` : `${dev} reports no serial`}, so the serial cannot be checked`);
  }
  return { ok: true, notes };
}
