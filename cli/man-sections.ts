/** Hand-written sections of the man pages, by command path ('' is tbx itself); the rest is generated from the command tree. */
export const MAN_SECTIONS: Record<string, Record<string, string>> = {
  '': {
    CONFIGURATION: `Every option can come from three places, in this order of precedence:

1. a flag on the command line (\`--fleet ...\`);
2. an environment variable, where the option has one (\`TBX_FLEET\`, \`TBX_TFTP_ROOT\`, \`TBX_BACKUP_ROOT\`,
   \`TBX_STATE_DIR\`, \`TBX_BRANCH\`, \`TBX_LOG_LEVEL\`, \`TBX_METRICS_FILE\`, \`TBX_METRICS_LISTEN\`,
   \`TBX_WEBHOOK_URL\`, \`TBX_WEBHOOK_SECRET\`); an empty variable counts as unset;
3. the config file \`/etc/tbx/config.yaml\` (another file with \`--config\` or \`TBX_CONFIG\`; \`TBX_CONFIG=\`
   turns it off): a YAML mapping whose keys are the long flag names without the dashes.

\`\`\`yaml
# /etc/tbx/config.yaml
fleet: ssh://git@git.lab/testboxes/fleet.git
tftp: /mnt/testbox-tftp
backup: /mnt/testbox-backup
state-dir: /var/lib/tbx
log-level: info
metrics-file: /var/lib/prometheus/node-exporter/tbx.prom
webhook-url: https://chat.lab/hooks/testboxes
\`\`\`

A key no command knows is an error (so a typo does not fall back to a default silently); a key
the running command does not have is ignored.`,
    'EXIT STATUS': `0 done (for \`plan\`: no changes pending), 1 an error (invalid fleet, unreachable share or repo,
a failed change, a failed \`doctor\` check, a usage error), 2 \`plan\` has changes pending.
\`tbx agent\` keeps the seed's codes (10-20, 98, 99). See [exit-codes.md](exit-codes.md).`,
    OUTPUT: `Tables are for people; \`-o json\` and \`-o yaml\` are for scripts (kubectl's flag): on \`status\`,
\`events\`, \`history\`, \`plan\` (also \`-o markdown\`; \`--format\` is the same flag), \`doctor\` and
\`image ls|du|verify|gc|import\`. \`--json\` stays as an alias of \`-o json\` wherever it was. \`validate\`
keeps \`--format text|json|github\`. Colour appears only when stdout is a terminal; \`NO_COLOR\` (any
non-empty value) turns it off, \`FORCE_COLOR=1\` forces it. Logs go to stderr: JSON lines from pino when stderr is not a terminal (journald, files,
CI), pretty lines on a terminal; \`TBX_LOG_FORMAT=json|pretty\` overrides, \`--log-level\` filters.`,
    'SHELL COMPLETION': '`tbx completion bash > /etc/bash_completion.d/tbx`, or `tbx completion zsh > "${fpath[1]}/_tbx"`.',
  },
  reconcile: {
    FILES: `\`<state-dir>/telemetry.json\`: which request results were already notified, the metric counters and
notifications still to deliver, and what last held each box back. \`<backup>/tbx-events.jsonl\` (read by
\`tbx events\`, rotated to \`.1\` past 10 MiB) gets one JSON line per applied, skipped or failed change;
one when a box is newly held back (\`blocked\`, \`queued\`, \`held\` outside its maintenance window,
\`suspended\`) or held for another reason than at the last pass. A box that stays held for the same
reason adds no further lines. A pass that finds the fleet invalid writes nothing to either share,
not even this log (fail closed): its errors go to the reconciler's own log (stderr, the journal),
its exit code (1) and \`tbx_passes_total{outcome="invalid"}\`.`,
    METRICS: `Written after every pass to \`--metrics-file\` (atomically, for node_exporter's textfile collector)
and served on \`GET /metrics\` with \`--watch --metrics-listen\`:

| metric | type | labels | meaning |
| --- | --- | --- | --- |
| \`tbx_boxes\` | gauge | \`phase\` | boxes by phase: Idle, Pending, Running, Succeeded, Failed, Stalled, Rescue, Suspended |
| \`tbx_queue_length\` | gauge | | boxes waiting for a slot (\`policy.maxConcurrent\`) |
| \`tbx_blocked_boxes\` | gauge | | boxes whose request cannot start |
| \`tbx_last_pass_timestamp_seconds\` | gauge | | end of the last pass (Unix time) |
| \`tbx_last_pass_duration_seconds\` | gauge | | duration of the last pass |
| \`tbx_last_pass_success\` | gauge | | 1 if the last pass applied its plan without failures |
| \`tbx_last_pass_changes\` | gauge | \`result\` | changes applied, skipped, failed by the last pass |
| \`tbx_passes_total\` | counter | \`outcome\` | passes: applied, invalid, busy |
| \`tbx_actions_total\` | counter | \`action\`, \`result\` | finished actions (Succeeded, Failed) |
| \`tbx_imaged_bytes_total\` | counter | \`action\` | raw disk bytes backed up or restored |
| \`tbx_failures_total\` | counter | \`reason\` | failed attempts by the agent's exit code name, e.g. \`restore-failed\` |
| \`tbx_action_duration_seconds\` | histogram | \`action\` | duration of finished actions |

Counters count results the reconciler saw after its first pass (which records a baseline).`,
    WEBHOOK: `When a request newly Succeeds, Fails (each attempt) or Stalls, tbx POSTs one JSON document per event
to \`--webhook-url\` (\`content-type: application/json\`; with \`--webhook-secret\` also
\`X-Tbx-Signature: sha256=<hex HMAC-SHA256 of the body>\`). Network errors, timeouts (10 s), 408, 429
and 5xx are retried with doubling delays (\`--webhook-retries\` attempts); other answers are final.
Undelivered events are kept and retried after the next pass. The first pass only records what is
already there. \`text\` is a one-line summary that chat tools (Slack, Mattermost) show as is.

\`\`\`json
{
  "apiVersion": "tbx/v1", "kind": "TestboxEvent", "type": "Failed",
  "box": "tb-linux-01", "ip": "10.165.98.220", "action": "restore", "request": "2026-11-25-restore-3f9a",
  "attempt": 1, "maxAttempts": 3, "message": "There was a problem restoring ...", "exitCode": 20,
  "reason": "restore-failed", "startedAt": "2026-11-25T10:00:00Z", "finishedAt": "2026-11-25T10:04:10Z",
  "durationSeconds": 250, "bytes": 0, "disks": [], "revision": "554fa879b6d7...",
  "text": "tb-linux-01: restore Failed (request 2026-11-25-restore-3f9a, attempt 1 of 3): There was a problem restoring ..."
}
\`\`\`

\`type\` is \`Succeeded\`, \`Failed\` or \`Stalled\`; \`reason\` is null for Succeeded; \`disks\` lists
\`{device, bytes, sha256, seconds, image}\` as in the status file.`,
  },
  status: {
    PROGRESS: `While the agent images a disk it rewrites \`<backup>/<ip>/progress.json\` about once a second
(atomically), logs a structured \`imaging progress\` line every 10 s (\`bytes\`, \`total\`, \`percent\`,
\`bytesPerSecond\`, \`etaSeconds\`; at log level info) and draws a bar with bytes, rate and time left on
the maintenance console when it is a terminal. \`tbx status\` shows the percentage of Running boxes,
\`-o wide\` the disk, bytes, rate and ETA, and marks a record older than 2 minutes as stale.

\`\`\`json
{"apiVersion":"tbx/v1","kind":"TestboxProgress","name":"tb-linux-01","ip":"10.165.98.220",
 "request":"2026-11-25-restore-3f9a","action":"restore","attempt":1,"state":"running","device":"sda",
 "disk":1,"disks":1,"bytesDone":21474836480,"bytesTotal":42949672960,"percent":50,
 "bytesPerSecond":104857600,"etaSeconds":205,"startedAt":"...","updatedAt":"..."}
\`\`\`

\`state\` is \`running\`, then \`done\` or \`failed\`.`,
  },
  request: {
    'COMMIT MESSAGE': `\`\`\`
tb-linux-01: restore (request 2026-11-25-restore-3f9a)

The nightly panic test corrupted the root file system.

Tbx-Request: 2026-11-25-restore-3f9a
Tbx-Action: restore
Tbx-Box: tb-linux-01
\`\`\`

The commit is authored by the checkout's git identity (\`user.name\`, \`user.email\`), so \`tbx history\`
shows who asked. Request ids are \`<UTC date>-<action>-<4 hex digits>\` unless \`--request-id\` is given.`,
  },
};
