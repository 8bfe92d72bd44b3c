import { Option, type Command } from 'commander';
import { execa } from 'execa';
import { commitToBranch, readAtRev } from '../../fleet/branch-commit.js';
import { parseFleetFile } from '../../fleet/parse-file.js';
import { editBoxFile, newRequestId, requestCommitMessage } from '../../fleet/request-edit.js';
import { matchesSelector, parseSelector } from '../../fleet/selector.js';
import { firstLine, GitError, UsageError, ValidationError } from '../../lib/errors.js';
import { ACTIONS, type Action, type Testbox } from '../../schema/types.js';
import { boxDir } from '../../share/layout.js';
import { table } from '../views/table.js';

/** `tbx request <box...> <action>`: ask for an action in a branch of the fleet checkout, ready for a pull request. */
export function register(program: Command): void {
  program
    .command('request')
    .description('ask for an action on boxes: edit their files on a new branch, commit, and (with --push) push it for a pull request')
    .argument('[boxes-and-action...]', `box names, then the action: ${ACTIONS.filter((a) => a !== 'none').join(', ')} or none`)
    .option('-l, --selector <selector>', 'act on every box whose labels match, e.g. rack=b3 or os in (linux),rack!=c1')
    .option('--reason <text>', 'why: goes into the commit body and the pull request')
    .option('--source <box[@generation]>', "restore only: restore from this box's image (a golden image), optionally an older generation; needs --force for another box")
    .option('--force', 'restore only: restore even onto a disk with another serial than the image was taken from, or from another box (never onto a smaller disk)')
    .option('-C, --checkout <dir>', 'fleet checkout (a git work tree)', '.')
    .option('--base <rev>', 'commit the branch starts from', 'HEAD')
    .option('--request-id <id>', 'use this request id instead of a fresh one')
    .option('--branch-name <name>', 'branch to create (default tbx/<request-id>)')
    .option('--push', 'push the branch to the remote')
    .addOption(new Option('--remote <name>', 'remote to push to').default('origin'))
    .addOption(new Option('--backup <dir>', 'backup share root: warn when a backup is asked for a box that already has an image').env('TBX_BACKUP_ROOT'))
    .addHelpText(
      'after',
      `
The checkout, its index and its current branch are left untouched: the change is committed
on a new branch only. Open a pull request from that branch; after the merge the reconciler
writes the PXE configs and the boxes act at their next PXE boot.

The NOTE column (and stderr) warns about what the plan will block: a restore from another
box's image without --force, and, when the backup share is given (--backup, TBX_BACKUP_ROOT),
a backup of a box that already has an image (use backup-again). The request is committed
anyway: a reviewer may add force: true, or the image may be gone by the merge.

Examples:
  tbx request tb-linux-01 restore --reason "kernel panic test broke the root fs"
  tbx request -l rack=b3 backup-again --reason "before the firmware update" --push
  tbx request tb-linux-01 tb-linux-02 refresh-info -C ~/fleet
  tbx request tb-linux-07 restore --source tb-golden --force --reason "reimage from the golden box"
  tbx request tb-win-01 none          # end a rescue: the box boots its disk again

Exit codes: 0 committed (and pushed with --push), 1 error: an unknown box or action, no box
matching the selector, a box file that would not validate (nothing is committed), or a failed
push (the branch stays committed; push it by hand).`,
    )
    .action(async (args: string[], opts: Record<string, unknown>) => {
      const { boxes: named, action } = splitArgs(args);
      if ((opts.source || opts.force) && action !== 'restore') throw new UsageError(`--source and --force only apply to restore, not ${action}`);
      const source = typeof opts.source === 'string' ? opts.source : undefined;
      const force = opts.force === true;
      const dir = String(opts.checkout);
      const base = String(opts.base);
      const all = await boxesAt(dir, base);
      const selector = typeof opts.selector === 'string' ? opts.selector : undefined;
      const chosen = pickBoxes(all, named, selector);
      const sourceBox = source?.split('@')[0];
      if (sourceBox && !all.has(sourceBox)) throw new UsageError(`--source ${source}: no testboxes/${sourceBox}.yaml in the checkout (boxes: ${[...all.keys()].join(', ') || 'none'}); an unknown source would make the fleet invalid`);
      const backup = typeof opts.backup === 'string' && opts.backup ? opts.backup : undefined;
      const request = typeof opts.requestId === 'string' ? opts.requestId : newRequestId(action);
      const files: Record<string, string> = {};
      const rows: string[][] = [];
      for (const b of chosen) {
        const path = `testboxes/${b.box.name}.yaml`;
        files[path] = editBoxFile(b.text, { action, request, ...(source ? { source } : {}), ...(force ? { force } : {}) });
        const check = parseFleetFile<Testbox>(path, Buffer.from(files[path]!), 'Testbox');
        if (!check.value) throw new ValidationError(check.diagnostics);
        const notes = [
          ...(b.box.suspend ? ['suspended: tbx leaves it alone until suspend is false'] : []),
          ...(sourceBox && sourceBox !== b.box.name && !force ? [`restores ${sourceBox}'s image: without --force the plan blocks it (the identity gate refuses another box's image unless force: true)`] : []),
          ...(action === 'backup' && backup && (await hasImage(backup, b.box.ip)) ? ['an image exists: backup will be blocked; use backup-again'] : []),
        ];
        for (const n of notes.slice(b.box.suspend ? 1 : 0)) process.stderr.write(`tbx: warning: ${b.box.name}: ${n}\n`);
        rows.push([b.box.name, b.box.ip, `${b.box.action} -> ${action}`, notes.join('; ')]);
      }
      const branch = typeof opts.branchName === 'string' ? opts.branchName : `tbx/${request}`;
      const names = chosen.map((b) => b.box.name);
      const message = requestCommitMessage(names, { action, request, ...(source ? { source } : {}), ...(force ? { force } : {}) }, { ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}), ...(selector ? { selector } : {}) });
      const commit = await commitToBranch({ dir, base, branch, files, message });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`Request ${request}: ${action} for ${names.length} box(es)`);
      out('');
      out(table(['BOX', 'IP', 'CHANGE', 'NOTE'], rows));
      out('');
      out(`Committed ${commit.slice(0, 12)} on branch ${branch} (your checkout is unchanged).`);
      if (opts.push) {
        await push(dir, String(opts.remote), branch);
        out(`Pushed ${branch} to ${String(opts.remote)}. Open a pull request from ${branch}; when it is merged the boxes act at their next PXE boot.`);
      } else {
        out(`Next: git -C ${dir} push -u ${String(opts.remote)} ${branch}   (or run again with --push), then open a pull request from ${branch}.`);
      }
    });
}

/** Whether the backup share holds an image of the box at `ip` (in any format). */
async function hasImage(backup: string, ip: string): Promise<boolean> {
  // Loaded here: only a request for a backup with a share given needs the image stores.
  const { allStores } = await import('../../imaging/stores.js');
  for (const store of allStores()) if ((await store.list(boxDir(backup, ip))).length) return true;
  return false;
}

/** The action is the last argument; the rest are box names. */
function splitArgs(args: string[]): { boxes: string[]; action: Action } {
  const action = args.at(-1);
  if (!action) throw new UsageError(`missing action: one of ${ACTIONS.join(', ')}`);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown action '${action}': expected one of ${ACTIONS.join(', ')} as the last argument`);
  return { boxes: args.slice(0, -1), action: action as Action };
}

interface BoxFile {
  box: Testbox;
  text: string;
}

/** Every valid box file at `rev`, by name. */
async function boxesAt(dir: string, rev: string): Promise<Map<string, BoxFile>> {
  const r = await execa('git', ['ls-tree', '--name-only', rev, 'testboxes/'], { cwd: dir, reject: false });
  if (r.exitCode !== 0) throw new GitError(`${dir} is not a fleet checkout at ${rev}: ${firstLine(r.stderr)}`, { next: 'stalled' });
  const map = new Map<string, BoxFile>();
  for (const path of r.stdout.split('\n').filter((p) => p.endsWith('.yaml'))) {
    const text = await readAtRev(dir, rev, path);
    if (text === undefined) continue;
    const parsed = parseFleetFile<Testbox>(path, Buffer.from(text), 'Testbox');
    if (parsed.value) map.set(parsed.value.name, { box: parsed.value, text });
  }
  return map;
}

function pickBoxes(all: Map<string, BoxFile>, named: string[], selector: string | undefined): BoxFile[] {
  if (!named.length && !selector) throw new UsageError('name at least one box, or pass --selector');
  const missing = named.filter((n) => !all.has(n));
  if (missing.length) throw new UsageError(`no testboxes/${missing[0]}.yaml in the checkout${missing.length > 1 ? ` (nor ${missing.slice(1).join(', ')})` : ''}; known boxes: ${[...all.keys()].join(', ') || 'none'}`);
  const chosen = new Map(named.map((n) => [n, all.get(n)!]));
  if (selector) {
    const reqs = parseSelector(selector);
    const hits = [...all.values()].filter((b) => matchesSelector(reqs, b.box.labels));
    if (!hits.length) throw new UsageError(`no box matches the selector ${selector}`);
    for (const h of hits) chosen.set(h.box.name, h);
  }
  return [...chosen.values()].sort((a, b) => a.box.name.localeCompare(b.box.name));
}

async function push(dir: string, remote: string, branch: string): Promise<void> {
  const r = await execa('git', ['push', '--quiet', '-u', remote, `refs/heads/${branch}:refs/heads/${branch}`], { cwd: dir, reject: false, env: { GIT_TERMINAL_PROMPT: '0' } });
  if (r.exitCode !== 0) throw new GitError(`cannot push ${branch} to ${remote}: ${firstLine(r.stderr)}`);
}
