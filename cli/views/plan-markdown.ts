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
  /** Box name -> newest image per device. */
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
  const again = pending('backup-again');
  if (again.length) w.push(`**replaces the images of ${again.length} box${again.length > 1 ? 'es' : ''}**: ${names(again)} (the previous image is kept as the older copy)`);
  for (const b of restores) {
    for (const img of f.images.get(b.name) ?? []) {
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
  const images = f.images.get(b.name) ?? [];
  const status = f.desired.statuses.get(b.name);
  const digest = (img: ReviewImage) => img.sha256 ?? status?.disks?.find((d) => d.image === img.ref && d.device === img.device)?.sha256 ?? null;
  const image = images.length
    ? images
        .map((img) => [img.generation !== undefined ? `gen ${img.generation}` : null, `\`${img.ref}\``, img.createdAt?.slice(0, 10) ?? null, humanBytes(img.storedBytes), digest(img) ? `\`${digest(img)!.slice(0, 12)}\`` : null].filter(Boolean).join(' · '))
        .join('<br>')
    : '-';
  const disks = box?.disks?.join(', ') ?? (box ? 'all' : '-');
  const state = b.phase ? ` (${b.phase}${b.attempt ? `, attempt ${b.attempt}` : ''})` : '';
  return [b.name, b.action, b.request ? `\`${b.request}\`` : '-', `${icon} ${b.outcome}${state}`, image, disks, esc(b.reason)];
}

function names(bs: BoxPlan[]): string {
  return bs.length > 8 ? `${bs.slice(0, 8).map((b) => b.name).join(', ')} and ${bs.length - 8} more` : bs.map((b) => b.name).join(', ');
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
