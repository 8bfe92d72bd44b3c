import type { FleetReport, ReportBox, ResultPoint } from './fleet-report.js';
import { humanBytes, humanDuration, shortTime } from '../cli/views/format.js';

/** Colours by phase (background of the row, fill of the sparkline bar). */
const PHASE_COLORS: Record<string, { bg: string; fg: string }> = {
  Succeeded: { bg: '#e3f6e8', fg: '#1a7f37' },
  Failed: { bg: '#fde7e9', fg: '#cf222e' },
  Stalled: { bg: '#f9d0d4', fg: '#a40e26' },
  Running: { bg: '#fff4d6', fg: '#9a6700' },
  Pending: { bg: '#eef3fb', fg: '#0969da' },
  Rescue: { bg: '#f3e8fd', fg: '#8250df' },
  '-': { bg: '#ffffff', fg: '#57606a' },
};

/**
 * The fleet report as one static HTML page: inline CSS, JS and SVG, no external resources,
 * so any web server (or a file:// URL) shows it without a network. One row per box,
 * coloured by phase, with its last backups and a sparkline of its results (bar height:
 * duration; colour: phase). The data is embedded as JSON for scripts.
 */
export function renderReportHtml(r: FleetReport): string {
  const counts = new Map<string, number>();
  for (const b of r.boxes) counts.set(b.phase, (counts.get(b.phase) ?? 0) + 1);
  const css = Object.entries(PHASE_COLORS).map(([p, c]) => `tr.phase-${cls(p)}{background:${c.bg}} .badge.phase-${cls(p)}{color:${c.fg};border-color:${c.fg}}`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>tbx fleet report</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#24292f}
h1{font-size:20px;margin:0 0 4px} .meta{color:#57606a;margin-bottom:16px}
.summary span{display:inline-block;margin-right:12px}
table{border-collapse:collapse;width:100%;margin-top:12px} th,td{padding:6px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0} td.num{text-align:right;white-space:nowrap}
.badge{border:1px solid;border-radius:10px;padding:0 8px;font-weight:600;white-space:nowrap}
.small{color:#57606a;font-size:12px} code{font-size:12px}
.controls input,.controls select{font:inherit;padding:3px 6px;margin-right:8px}
${css}
</style>
</head>
<body>
<h1>tbx fleet report</h1>
<div class="meta">${esc(r.fleet)}${r.revision ? ` at <code>${esc(r.revision.slice(0, 12))}</code>` : ''} · generated ${esc(shortTime(r.generatedAt))} · ${r.boxes.length} box(es)</div>
<div class="summary">${[...counts].map(([p, n]) => `<span class="badge phase-${cls(p)}">${esc(phaseLabel(p))} ${n}</span>`).join('')}</div>
<div class="controls" style="margin-top:12px"><input id="filter" type="search" placeholder="filter by name, ip or label"><select id="phase"><option value="">every phase</option>${[...counts.keys()].map((p) => `<option>${esc(p)}</option>`).join('')}</select><span id="shown" class="small"></span></div>
<table id="boxes">
<thead><tr><th>Box</th><th>Phase</th><th>Action / request</th><th title="finished backups: time and bytes the agent imaged">Last backups</th><th title="disk: size of the disk the image was taken from; stored: bytes the backup added to the share">Images</th><th>History</th><th>PXE</th></tr></thead>
<tbody>
${r.boxes.map(row).join('\n')}
</tbody>
</table>
<script type="application/json" id="tbx-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>
<script>
(function () {
  var filter = document.getElementById('filter'), phase = document.getElementById('phase'), shown = document.getElementById('shown');
  function apply() {
    var q = filter.value.toLowerCase(), p = phase.value, n = 0, rows = document.querySelectorAll('#boxes tbody tr');
    rows.forEach(function (tr) {
      var ok = (!q || tr.getAttribute('data-search').indexOf(q) >= 0) && (!p || tr.getAttribute('data-phase') === p);
      tr.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
  }
  filter.addEventListener('input', apply); phase.addEventListener('change', apply); apply();
})();
</script>
</body>
</html>
`;
}

function row(b: ReportBox): string {
  const labels = Object.entries(b.labels).map(([k, v]) => `${k}=${v}`);
  const search = [b.name, b.ip, ...labels].join(' ').toLowerCase();
  const backups = b.lastBackups.length ? b.lastBackups.map((h) => `${esc(shortTime(h.at))} <span class="small">${esc(humanBytes(h.bytes))}</span>`).join('<br>') : '<span class="small">none</span>';
  // Disk size and stored bytes, labelled: a chunked generation of an unchanged disk stores 0 B.
  const size = (i: ReportBox['images'][number]) => `${i.logicalBytes !== null ? `${humanBytes(i.logicalBytes)} disk, ` : ''}${humanBytes(i.storedBytes)} stored`;
  const images = b.images.length ? b.images.map((i) => `<code>${esc(i.ref)}</code>${i.generation !== undefined ? ` gen ${i.generation}` : ''} <span class="small">${esc(size(i))}</span>`).join('<br>') : '<span class="small">none</span>';
  const progress = b.progress ? ` <span class="small">${b.progress.percent.toFixed(0)}%</span>` : '';
  return `<tr class="phase-${cls(b.phase)}" data-phase="${esc(b.phase)}" data-search="${esc(search)}" data-box="${esc(b.name)}">
<td><strong>${esc(b.name)}</strong>${b.suspended ? ' <span class="small">(suspended)</span>' : ''}<br><span class="small">${esc(b.ip)}${labels.length ? ` · ${esc(labels.join(', '))}` : ''}</span></td>
<td><span class="badge phase-${cls(b.phase)}">${esc(phaseLabel(b.phase))}</span>${progress}${b.message ? `<br><span class="small">${esc(b.message)}</span>` : ''}</td>
<td>${esc(b.action)}${b.request ? `<br><code>${esc(b.request)}</code>` : ''}</td>
<td>${backups}</td>
<td>${images}</td>
<td>${sparkline(b.history)}</td>
<td>${esc(b.pxe)}</td>
</tr>`;
}

/** An inline SVG: one bar per finished attempt, oldest left; height by duration, colour by phase. */
export function sparkline(points: ResultPoint[]): string {
  if (!points.length) return '<span class="small">no results yet</span>';
  const w = 8;
  const h = 24;
  const max = Math.max(...points.map((p) => p.seconds ?? 0), 1);
  const bars = points.map((p, i) => {
    const bh = Math.max(3, Math.round(((p.seconds ?? 0) / max) * h));
    const color = (PHASE_COLORS[p.phase] ?? PHASE_COLORS['-']!).fg;
    return `<rect x="${i * (w + 2)}" y="${h - bh}" width="${w}" height="${bh}" fill="${color}"><title>${esc(`${shortTime(p.at)} ${p.action} ${p.phase} (${p.request})${p.seconds !== null ? `, ${humanDuration(p.seconds)}` : ''}`)}</title></rect>`;
  });
  return `<svg class="spark" width="${points.length * (w + 2)}" height="${h}" viewBox="0 0 ${points.length * (w + 2)} ${h}" role="img" aria-label="${points.length} results">${bars.join('')}</svg>`;
}

/** `-` (no request ever) reads better as Idle. */
function phaseLabel(p: string): string {
  return p === '-' ? 'Idle' : p;
}

function cls(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
