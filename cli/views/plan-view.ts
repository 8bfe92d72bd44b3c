import { redact } from '../../lib/redact.js';
import { quoteArgv } from '../../power/check.js';
import { allChanges, type Change, type Plan } from '../../reconciler/plan-types.js';
import { table } from './table.js';

/** The plan as a table of boxes, the file changes it would make, and a one-line total. */
export function renderPlanText(plan: Plan, fleet: string): string {
  const out: string[] = [];
  out.push(`Plan for ${fleet}${plan.revision ? ` at ${plan.revision.slice(0, 12)}` : ''}: ${plan.boxes.length} box(es), policy.maxConcurrent ${plan.maxConcurrent}`);
  out.push('');
  if (plan.boxes.length) {
    out.push(table(['BOX', 'IP', 'ACTION', 'REQUEST', 'OUTCOME', 'REASON'], plan.boxes.map((b) => [b.name, b.ip, b.action, b.request ?? '-', b.outcome, b.reason])));
    out.push('');
  }
  const changes = allChanges(plan);
  if (changes.length) {
    out.push('Changes:');
    for (const c of changes) out.push(`  ${describeChange(c)}`);
    out.push('');
  }
  for (const u of plan.unmanaged) out.push(`Unmanaged: pxelinux.cfg/${u.hex} (${u.ip}${u.box ? `, box ${u.box}` : ''}) was not written by tbx; left alone.`);
  for (const d of plan.diagnostics.filter((x) => x.severity === 'warning')) out.push(`Warning: ${d.file}:${d.line}:${d.col}: ${d.message}`);
  out.push(summaryLine(changes));
  return out.join('\n');
}

/** One line per change, with Terraform's + / ~ / - markers. */
export function describeChange(c: Change): string {
  switch (c.op) {
    case 'write-pxe':
      return `${c.expect === null ? '+' : '~'} pxelinux.cfg/${c.hex}   (${c.box})`;
    case 'delete-pxe':
      return `- pxelinux.cfg/${c.hex}   (${c.box})`;
    case 'write-default':
      return '+ pxelinux.cfg/default   (local boot for every box without its own file)';
    case 'remove-leftover':
      return `- pxelinux.cfg/${c.name}   (temp file left by an interrupted pass)`;
    case 'write-disk-list':
      return `~ ${c.ip}/disk-devices.lst = ${c.content.trim()}   (${c.box})`;
    case 'delete-disk-list':
      return `- ${c.ip}/disk-devices.lst   (${c.box}: disks removed from the fleet)`;
    case 'forward-status':
      return `> commit status/${c.box}.yaml: ${c.status.action} ${c.status.phase} (request ${c.status.request}), forwarded from the share`;
    case 'write-note':
      return `> commit notes/${c.box}.yaml: ${c.note.conditions.at(-1)?.type ?? 'note'} (request ${c.note.request})`;
    case 'reboot':
      return `! reboot ${c.box}: ${redact(quoteArgv(c.argv))}`;
  }
}

function summaryLine(changes: Change[]): string {
  if (!changes.length) return 'No changes. The shares match the fleet.';
  const n = (pred: (c: Change) => boolean) => changes.filter(pred).length;
  const writes = n((c) => c.op === 'write-pxe' || c.op === 'write-default' || c.op === 'write-disk-list');
  const deletes = n((c) => c.op === 'delete-pxe' || c.op === 'delete-disk-list' || c.op === 'remove-leftover');
  const commits = n((c) => c.op === 'forward-status' || c.op === 'write-note');
  const reboots = n((c) => c.op === 'reboot');
  return `Plan: ${writes} to write, ${deletes} to delete, ${commits} to commit${reboots ? `, ${reboots} reboot(s) to trigger` : ''}.`;
}

/** The plan as JSON: the same value, for scripts. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify({ ...plan, changes: allChanges(plan).length }, null, 2);
}
