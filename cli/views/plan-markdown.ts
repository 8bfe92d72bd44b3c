import type { Desired } from '../../fleet/read-desired.js';
import type { ImageSummary } from '../../imaging/store.js';
import { allChanges, type BoxPlan, type Plan } from '../../reconciler/plan-types.js';
import { humanBytes } from './format.js';
import { describeChange } from './plan-view.js';

/** An image as the review shows it; `generation` is shown when the store records one. */
export type ReviewImage = ImageSummary & { generation?: number };

/** What the markdown view needs besides the plan: the images on the share and the disk sizes the box reported. */
export interface ReviewFacts {
  desired: Pick<Desired, 'boxes' | 'statuses'>;
  /** Box name -> its images on the share: every generation of every device (or just the newest of each). */
  images: Map<string, ReviewImage[]>;
  /** Box name -> device -> size in bytes, from the box's last testbox-info.txt. */
  diskSizes: Map<string, Map<string, number>>;
  now: Date;
  /** Warn when a restore would use an image older than this many days. */
  maxImageAgeDays: number;
}

/** Outcomes that leave a maintenance config for the box's next boot (now or after the queue). */
const PENDING = new Set(['create', 'update', 'keep', 'queued', 'held']);

/** The reviewer's warnings: destructive actions, old images, images from different hardware, blocked boxes. */
export function reviewWarnings(plan: Plan, f: ReviewFacts): string[] {
  const w: string[] = [];
  const pending = (action: string) => plan.boxes.filter((b) => b.action === action && PENDING.has(b.outcome));
  const restores = pending('restore');
  if (restores.length) w.push(`**restores ${restores.length} box${restores.length > 1 ? 'es' : ''}**: ${names(restores)}; their disks are overwritten`);
  for (const b of restores) {
    const box = f.desired.boxes.find((x) => x.name === b.name);
    if (!box?.source && !box?.force) continue;
    const src = box.source ? parseSource(box.source) : undefined;
    const gens = [...new Set(restoreImages(b.name, f).map((i) => i.generation).filter((g) => g !== undefined))];
    const from = src ? ` from ${src.name}${gens.length ? ` generation ${gens.join(', ')}` : ''}${src.generation ? '' : ' (its newest image)'}` : '';
    w.push(`**restores ${b.name}${from}**${box.force ? ' (force: identity gate bypassed: the disk serial and the box the image was taken from are not checked; only the size is)' : ''}`);
  }
  const again = pending('backup-again');
  if (again.length) w.push(`**replaces the images of ${again.length} box${again.length > 1 ? 'es' : ''}**: ${names(again)} (the previous image is kept as the older copy)`);
  for (const b of restores) {
    for (const img of restoreImages(b.name, f)) {
      const days = img.createdAt ? Math.floor((f.now.getTime() - Date.parse(img.createdAt)) / 86_400_000) : null;
      if (days !== null && days > f.maxImageAgeDays) w.push(`${b.name}: image \`${img.ref}\` is ${days} days old (taken ${img.createdAt!.slice(0, 10)})`);
      const now = f.diskSizes.get(b.name)?.get(img.device);
      if (img.logicalBytes !== null && now !== undefined && now !== img.logicalBytes) {
        w.push(`${b.name}: box was backed up from different hardware: \`${img.ref}\` was taken from a ${humanBytes(img.logicalBytes)} ${img.device}, the box now reports ${humanBytes(now)}`);
      }
    }
  }
  for (const b of plan.boxes.filter((x) => x.outcome === 'blocked' || x.outcome === 'stalled')) w.push(`${b.name} is ${b.outcome}: ${b.reason}`);
  for (const u of plan.unmanaged) w.push(`pxelinux.cfg/${u.hex} (${u.ip}${u.box ? `, ${u.box}` : ''}) was not written by tbx and is left alone`);
  for (const d of plan.diagnostics.filter((x) => x.severity === 'warning')) w.push(`${d.file}:${d.line}: ${d.message}`);
  return w;
}

/** The plan as a pull request comment (GitHub/GitLab markdown). */
export function renderPlanMarkdown(plan: Plan, fleet: string, f: ReviewFacts): string {
  const changes = allChanges(plan);
  const count = (pred: (op: string) => boolean) => changes.filter((c) => pred(c.op)).length;
  const out: string[] = [];
  const reboots = count((op) => op === 'reboot');
  out.push(`### tbx plan: ${count((op) => op.startsWith('write-') && op !== 'write-note')} to write, ${count((op) => op.startsWith('delete-'))} to delete, ${count((op) => op === 'forward-status' || op === 'write-note')} to commit${reboots ? `, ${reboots} reboot${reboots > 1 ? 's' : ''} to trigger` : ''}`);
  out.push('');
  out.push(`Fleet \`${fleet}\`${plan.revision ? ` at \`${plan.revision.slice(0, 12)}\`` : ''}; policy.maxConcurrent ${plan.maxConcurrent}.`);
  out.push('');
  const warnings = reviewWarnings(plan, f);
  if (warnings.length) {
    out.push('> [!WARNING]', ...warnings.map((x) => `> - ${x}`), '');
  }
  const boxes = plan.boxes.filter((b) => b.action !== 'none' || b.outcome !== 'noop' || b.changes.length);
  if (boxes.length) {
    out.push('| Box | Action | Request | Outcome | Image | Disks | Why |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const b of boxes) out.push(`| ${cells(b, f).join(' | ')} |`);
    out.push('');
  }
  const idle = plan.boxes.length - boxes.length;
  const outcomes = new Map<string, number>();
  for (const b of plan.boxes) outcomes.set(b.outcome, (outcomes.get(b.outcome) ?? 0) + 1);
  const actions = new Map<string, number>();
  for (const b of plan.boxes.filter((x) => PENDING.has(x.outcome))) actions.set(b.action, (actions.get(b.action) ?? 0) + 1);
  out.push(`**Totals:** ${plan.boxes.length} box(es): ${[...outcomes].map(([o, n]) => `${n} ${o}`).join(', ')}${actions.size ? `; pending actions: ${[...actions].map(([a, n]) => `${n} ${a}`).join(', ')}` : ''}${idle ? ` (${idle} idle box(es) not listed)` : ''}.`);
  if (changes.length) {
    out.push('', '<details><summary>File changes</summary>', '', '```diff', ...changes.map((c) => describeChange(c).replace(/^>/, '!')), '```', '', '</details>');
  } else out.push('', 'No changes. The shares match the fleet.');
  return out.join('\n');
}

function cells(b: BoxPlan, f: ReviewFacts): string[] {
  const box = f.desired.boxes.find((x) => x.name === b.name);
  const icon = { create: '🟢', update: '🟡', delete: '🔴', keep: '⏳', done: '✅', noop: '▫️', blocked: '⛔', queued: '⏸️', held: '🕘', stalled: '⛔', suspended: '💤' }[b.outcome] ?? '';
  const source = b.action === 'restore' && box?.source ? parseSource(box.source) : undefined;
  const images = b.action === 'restore' ? restoreImages(b.name, f) : newestPerDevice(f.images.get(b.name) ?? []);
  const status = f.desired.statuses.get(source?.name ?? b.name);
  const digest = (img: ReviewImage) => img.sha256 ?? img.digest ?? status?.disks?.find((d) => d.image === img.ref && d.device === img.device)?.sha256 ?? null;
  const image = images.length
    ? images
        .map((img) => [source ? `from ${source.name}` : null, img.generation !== undefined ? `gen ${img.generation}` : null, `\`${img.ref}\``, img.createdAt?.slice(0, 10) ?? null, sizes(img), digest(img) ? `\`${shortDigest(digest(img)!)}\`` : null].filter(Boolean).join(' · '))
        .join('<br>')
    : '-';
  const disks = box?.disks?.join(', ') ?? (box ? 'all' : '-');
  const state = b.phase ? ` (${b.phase}${b.attempt ? `, attempt ${b.attempt}` : ''})` : '';
  return [b.name, b.action, b.request ? `\`${b.request}\`` : '-', `${icon} ${b.outcome}${state}`, image, disks, esc(b.reason)];
}

/** `<box>[@<generation>]` of a restore's `source:`. */
function parseSource(source: string): { name: string; generation?: number } {
  const [name = '', gen] = source.split('@');
  return { name, ...(gen ? { generation: Number(gen) } : {}) };
}

/** The newest image of each device (by generation, else by time). */
function newestPerDevice(images: ReviewImage[]): ReviewImage[] {
  const newest = new Map<string, ReviewImage>();
  for (const i of images) {
    const prev = newest.get(i.device);
    if (!prev || (i.generation ?? 0) > (prev.generation ?? 0) || ((i.generation ?? 0) === (prev.generation ?? 0) && (i.createdAt ?? '') > (prev.createdAt ?? ''))) newest.set(i.device, i);
  }
  return [...newest.values()];
}

/** The images a restore of `box` would write: its own newest, or its `source:` box's (named generation or newest). */
function restoreImages(box: string, f: ReviewFacts): ReviewImage[] {
  const b = f.desired.boxes.find((x) => x.name === box);
  const src = b?.source ? parseSource(b.source) : undefined;
  const all = (f.images.get(src?.name ?? box) ?? []).filter((i) => !b?.disks || b.disks.includes(i.device));
  return src?.generation ? all.filter((i) => i.generation === src.generation) : newestPerDevice(all);
}

/** `4.0 MiB disk, 1.2 MiB stored`: the disk the image was taken from and what the backup added to the share. */
function sizes(img: ReviewImage): string {
  return `${img.logicalBytes !== null ? `${humanBytes(img.logicalBytes)} disk, ` : ''}${humanBytes(img.storedBytes)} stored`;
}

/** `blake3-tree:b55be9d457ff` or `abababababab`: enough of a digest to compare by eye. */
function shortDigest(d: string): string {
  const colon = d.indexOf(':');
  return colon < 0 ? d.slice(0, 12) : d.slice(0, colon + 13);
}

function names(bs: BoxPlan[]): string {
  return bs.length > 8 ? `${bs.slice(0, 8).map((b) => b.name).join(', ')} and ${bs.length - 8} more` : bs.map((b) => b.name).join(', ');
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
