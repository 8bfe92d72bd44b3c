import type { Desired } from '../fleet/read-desired.js';
import { hexIp } from '../lib/hex-ip.js';
import { renderDefaultConfig } from '../pxe/render.js';
import { decideBox, type Draft, type SourceBox } from './decide-box.js';
import type { Observed } from './observe.js';
import type { BoxPlan, Plan } from './plan-types.js';

/**
 * Pure: the plan that brings the shares to the desired state. No I/O, no clock, no logger.
 * `desired` must be actionable (no validation errors); callers check that first.
 *
 * New maintenance configs are admitted in box-name order while fewer than
 * `policy.maxConcurrent` configs exist; the rest are queued with their position.
 */
export function computePlan(desired: Desired, observed: Observed): Plan {
  const site = desired.site;
  if (!site) throw new Error('computePlan needs a valid site');
  const byName = new Map(desired.boxes.map((b) => [b.name, b]));
  const drafts: Draft[] = desired.boxes.map((box) =>
    decideBox({
      box,
      site,
      status: desired.statuses.get(box.name),
      note: desired.notes.get(box.name),
      share: observed.boxes.get(box.ip),
      pxe: observed.pxe.get(hexIp(box.ip)),
      ...(observed.comebacks.has(box.name) ? { comeback: observed.comebacks.get(box.name)! } : {}),
      now: observed.now,
      ...(box.source ? { source: resolveSource(box.source, byName, observed) } : {}),
    }),
  );
  admit(drafts, site.policy.maxConcurrent);

  const wanted = new Set(desired.boxes.map((b) => hexIp(b.ip)));
  const orphans: BoxPlan[] = [...observed.pxe.values()]
    .filter((p) => p.owner && !p.irregular && !wanted.has(p.hex))
    .sort((a, b) => a.hex.localeCompare(b.hex))
    .map((p) => ({
      name: p.owner!.box,
      ip: p.ip,
      hex: p.hex,
      action: p.owner!.action ?? 'unknown',
      request: p.owner!.request,
      outcome: 'delete',
      reason: `no testbox in the fleet has ip ${p.ip} any more; removing the config tbx wrote for ${p.owner!.box}`,
      phase: null,
      attempt: null,
      changes: [{ op: 'delete-pxe', box: p.owner!.box, hex: p.hex, expect: p.fingerprint }],
    }));

  const byIp = new Map(desired.boxes.map((b) => [b.ip, b.name]));
  const boxes = [...drafts.map((d) => d.plan), ...orphans];
  // spec.suspend freezes the whole site: the plan still says what it would do, but holds it all.
  if (site.spec?.suspend) for (const b of boxes) Object.assign(b, { outcome: 'suspended', reason: `site suspended (spec.suspend in fleet.yaml); would: ${b.outcome}, ${b.reason}`, changes: [] });
  return {
    revision: desired.revision,
    boxes,
    siteChanges: site.spec?.suspend
      ? []
      : [...observed.leftovers.map((name) => ({ op: 'remove-leftover' as const, name })), ...(observed.hasDefault ? [] : [{ op: 'write-default' as const, content: renderDefaultConfig() }])],
    unmanaged: [...observed.pxe.values()].filter((p) => !p.owner || p.irregular).map((p) => ({ hex: p.hex, ip: p.ip, box: byIp.get(p.ip) ?? null })),
    diagnostics: [...desired.diagnostics, ...observed.diagnostics],
    maxConcurrent: site.policy.maxConcurrent,
    awaitingComeback: site.spec?.suspend ? [] : drafts.filter((d) => d.awaitingComeback).map((d) => d.plan.name),
  };
}

/** `<box>[@<generation>]` as the source box's IP, generation and observed share. */
function resolveSource(source: string, byName: Map<string, { ip: string }>, observed: Observed): SourceBox {
  const [name = '', gen] = source.split('@');
  const ip = byName.get(name)?.ip ?? '';
  return { name, ip, ...(gen ? { generation: Number(gen) } : {}), share: ip ? observed.boxes.get(ip) : undefined };
}

/** Admit candidates in name order into the free slots; queue the rest, keeping their order. */
function admit(drafts: Draft[], maxConcurrent: number): void {
  const inUse = drafts.filter((d) => d.holdsSlot).length;
  let free = Math.max(0, maxConcurrent - inUse);
  let position = 0;
  for (const d of drafts.filter((x) => x.candidate).sort((a, b) => a.plan.name.localeCompare(b.plan.name))) {
    if (free > 0) {
      free--;
      d.plan.changes.push({ op: 'write-pxe', box: d.plan.name, hex: d.plan.hex, content: d.candidate!.content, expect: null });
      if (d.candidate!.reboot) d.plan.changes.push(d.candidate!.reboot);
      continue;
    }
    position++;
    d.plan.outcome = 'queued';
    d.plan.reason = `${d.plan.reason}; waiting for a slot: all ${maxConcurrent} maintenance slots (policy.maxConcurrent) are in use, position ${position} in the queue`;
  }
}

