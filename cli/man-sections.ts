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
| \`tbx_actions_total\` | counter | \`action\`, \`result\` | finished actions (Succeeded, Failed) and comeback verdicts (Verified, Unverified) |
| \`tbx_imaged_bytes_total\` | counter | \`action\` | raw disk bytes backed up or restored |
| \`tbx_failures_total\` | counter | \`reason\` | failed attempts by the agent's exit code name, e.g. \`restore-failed\` |
| \`tbx_action_duration_seconds\` | histogram | \`action\` | duration of finished actions |

Counters count results the reconciler saw after its first pass (which records a baseline).`,
    WEBHOOK: `When a request newly Succeeds, Fails (each attempt) or Stalls, or its comeback check finds the box
Verified or Unverified, tbx POSTs one JSON document per event
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

\`type\` is \`Succeeded\`, \`Failed\`, \`Stalled\`, \`Verified\` or \`Unverified\`. \`reason\` is null for
Succeeded, the agent's exit code name for Failed and Stalled (\`Timeout\` when no result came within
\`policy.actionTimeout\`), and the condition's reason for the comeback verdicts: \`CheckPassed\` or
\`ComebackTimeout\` (\`message\` then says why, e.g. \`ComebackTimeout: did not come back within 15 min of
finishing restore: tcp 10.165.98.220:22: ECONNREFUSED\`). \`disks\` lists
\`{device, bytes, sha256, seconds, image}\` as in the status file.`,
    'REBOOT AND COMEBACK': `Without power settings tbx writes a box's config and waits for the box's next reboot. With them
it reboots the box itself and then checks that the box came back. In \`fleet.yaml\` (a box's own
\`power:\` overrides single fields; a box's \`check\` or \`checkCommand\` replaces the site's other kind):

\`\`\`yaml
power:
  rebootCommand: [ipmitool, -I, lanplus, -H, "{labels.bmc}", -U, admin, -E, chassis, power, cycle]
  check: {tcp: 22}                   # or checkCommand: [ssh, -o, BatchMode=yes, "root@{ip}", "true"]
  timeoutSeconds: 60                 # one run of the reboot command, one try of the check
  retries: 2                         # further tries of a failed reboot command (1 s, 2 s, 4 s ... apart)
  comebackMinutes: 15                # the box's deadline to pass its check after the agent finished
\`\`\`

\`power: manual\` in a testbox file opts the box out: tbx never reboots it.

**Commands** are argument lists, run without a shell. Placeholders fill whole or parts of arguments:
\`{name}\`, \`{ip}\`, \`{hexip}\`, \`{request}\` and \`{labels.<key>}\`; a value with spaces or quotes stays one
argument. A placeholder that cannot be filled for a box is a validation error. Each command runs
with tbx's environment in its own process group; at \`timeoutSeconds\` the whole group is killed
(SIGKILL), and whatever a command leaves in its group is killed when it exits (a process meant
to outlive the command must start its own session, e.g. with \`setsid\`). If tbx receives
SIGINT, SIGTERM or SIGHUP, running commands are killed, an interrupted reboot records nothing and
the config stays.

**Reboot.** A pass reboots a box only right after it wrote the box's config for a new request
(never when refreshing a config for a request under way, never for a suspended, queued, held,
blocked or manual box), and only if that write succeeded. Reboots run after all configs of the
pass are written, up to 4 at a time. Each run is logged with its exit code and the end of its
output. A command that still fails after its retries is recorded as \`RebootFailed\` (reason
\`CommandFailed\`, with the exit code or timeout and the last output lines); the config stays, so the
box's next natural reboot still runs the action. \`tbx plan\` lists the reboots as \`! reboot <box>: ...\`.

**Comeback.** After the agent reports Succeeded (not for rescue), every pass tries the check once:
tbx's own TCP connect (\`check: {tcp: N}\` to the box's IP) or \`checkCommand\` (exit 0 = up). The
first pass it passes records \`Verified\` (reason \`CheckPassed\`); once \`comebackMinutes\` after the
agent's finish have passed without that, \`Unverified\` (reason \`ComebackTimeout\`, with the last
check's result and output line). While a box is on its way back, \`--watch\` polls every 15 s. A
request is only checked while its agent finished less than twice \`comebackMinutes\` ago: a late
pass still judges it, but requests that finished before (for instance when checks are first
configured) are left alone, with no check, no note and no notification. Each check result is
logged at debug level, the verdict at info.

**Where results go.** Status files belong to the agent, so the reconciler records \`RebootFailed\`,
\`Verified\` and \`Unverified\` as conditions in its own \`notes/<box>.yaml\`, one commit each
(\`tb-a: restore Unverified (request ...)\`). \`tbx status\` shows them under CONDITIONS with their
reason (\`Unverified(ComebackTimeout)\`), \`-o wide\` adds the message, \`tbx history\` lists each with
its time and the result (\`Succeeded, Unverified\`), and the webhook announces Verified and Unverified.

**Dry runs.** \`tbx plan\` (also on a pull request's checkout) runs no reboot command and no check,
not even a TCP connect: the plan says \`would run the comeback check: ...\` and concludes nothing.

**Secrets** never go into the fleet repo: commands read them from the environment tbx runs with
(\`ipmitool -E\` reads \`IPMI_PASSWORD\`; the reconciler's unit reads \`/etc/default/tbx\` as its
\`EnvironmentFile=\`, keep that file mode 0600) or from files they read themselves
(\`ipmitool -f /etc/tbx/ipmi.pass\`, or with systemd's \`LoadCredential=ipmi:/etc/tbx/ipmi.pass\` the path
\`/run/credentials/tbx-reconcile.service/ipmi\`; an ssh key of the user tbx runs as). Commands run
without a shell, so \`$VARIABLES\` in an argument are not expanded. The values of environment variables whose name contains PASS, TOKEN,
SECRET, KEY or CREDENTIAL (values of 4 characters or more) are replaced by \`***\` in everything tbx
keeps from a command's output: logs, notes, commit messages, \`tbx-events.jsonl\` and notifications.
A secret under another name is not recognised: give it such a name.`,
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
