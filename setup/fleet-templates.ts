import { SCHEMA_FILES } from '../schema/validate.js';

/** Site values a new fleet starts with (the seed's example unless flags say otherwise). */
export interface FleetSeed {
  nfsServer: string;
  gateway: string;
  netmask: string;
}

/** `fleet.yaml` of a new fleet. */
export function fleetYaml(s: FleetSeed): string {
  return `# yaml-language-server: $schema=.tbx/schema/${SCHEMA_FILES.Site}
# The site: what a maintenance PXE config boots, and how many boxes may be in maintenance at once.
apiVersion: tbx/v1
kind: Site
boot:
  nfsServer: ${s.nfsServer}
  nfsRoot: /export/testbox-nfsroot
  gateway: ${s.gateway}
  netmask: ${s.netmask}
  ethDevice: eth0
  ipConfig: static
  kernel: maintenance-boot/vmlinuz
  initrd: maintenance-boot/initrd.img
  extraArgs: []
policy:
  maxConcurrent: 10
  maxAttempts: 3
`;
}

/** The example box of a new fleet. */
export function exampleBox(name: string, ip: string): string {
  return `# yaml-language-server: $schema=../.tbx/schema/${SCHEMA_FILES.Testbox}
# One file per testbox. To act on it, open a pull request that sets \`action:\` and a new
# \`request:\` id, or let tbx write that change for you:
#   tbx request ${name} backup --reason "first image" --push
apiVersion: tbx/v1
kind: Testbox
name: ${name}
ip: ${ip}
disks: [sda]
action: none
labels:
  rack: a1
  os: linux
`;
}

/** Editors that do not read the modelines still associate the schemas (VS Code's YAML extension). */
export function vscodeSettings(): string {
  return `${JSON.stringify({ 'yaml.schemas': { [`./.tbx/schema/${SCHEMA_FILES.Site}`]: 'fleet.yaml', [`./.tbx/schema/${SCHEMA_FILES.Testbox}`]: 'testboxes/*.yaml', [`./.tbx/schema/${SCHEMA_FILES.TestboxStatus}`]: 'status/*.yaml', [`./.tbx/schema/${SCHEMA_FILES.TestboxNote}`]: 'notes/*.yaml' } }, null, 2)}\n`;
}

/**
 * What a CI job needs to install tbx. tbx is not on the public npm registry under its own
 * name, and whoever owns `tbx` there would run code in every fleet's CI, so the install
 * never falls back to a bare name: without TBX_PACKAGE the job fails and says what to set.
 */
const TBX_PACKAGE_HELP = `TBX_PACKAGE (required): the npm install spec of your tbx copy, e.g.
#   https://git.lab/tools/tbx/-/archive/v0.1.0/tbx-v0.1.0.tar.gz or git+https://git.lab/tools/tbx.git#v0.1.0.
#   Never the bare name 'tbx': that npm package is not this project.`;

/** The message a CI job fails with when TBX_PACKAGE is unset. */
export const TBX_PACKAGE_MISSING = "TBX_PACKAGE is not set: set it to the npm install spec of your tbx copy (a tarball or git URL); the npm package named tbx on the public registry is not this project";

/** The GitHub Actions pull request check: validate everywhere, plan where the shares are reachable. */
export function githubWorkflow(): string {
  return `# tbx pull request check.
# validate: runs on any runner and annotates the changed files.
# plan: runs only on a self-hosted runner that can read the shares (labels self-hosted, tbx-site)
#       and only when the repository variable TBX_PLAN is 'true'; it comments the plan on the PR.
# Repository variables (Settings > Secrets and variables > Actions > Variables):
# ${TBX_PACKAGE_HELP}
# TBX_PLAN: 'true' to run the plan job.
name: tbx
on:
  pull_request:
    paths: ['fleet.yaml', 'testboxes/**', 'status/**', 'notes/**']
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install tbx from the repository variable TBX_PACKAGE
        run: |
          if [ -z "$TBX_PACKAGE" ]; then echo "::error title=TBX_PACKAGE::${TBX_PACKAGE_MISSING}"; exit 1; fi
          npm install --global "$TBX_PACKAGE"
        env:
          TBX_PACKAGE: \${{ vars.TBX_PACKAGE }}
      - run: tbx validate --format github .
  plan:
    needs: validate
    if: vars.TBX_PLAN == 'true'
    runs-on: [self-hosted, tbx-site]
    permissions:
      contents: read
      pull-requests: write
    env:
      TBX_TFTP_ROOT: /mnt/testbox-tftp
      TBX_BACKUP_ROOT: /mnt/testbox-backup
    steps:
      - uses: actions/checkout@v4
      - name: tbx plan (exit 2 means changes pending, which is the point of the PR)
        run: tbx plan --fleet . --format markdown > plan.md || [ $? -eq 2 ]
      - run: cat plan.md >> "$GITHUB_STEP_SUMMARY"
      - name: Comment the plan on the pull request
        run: gh pr comment "$PR" --edit-last --body-file plan.md || gh pr comment "$PR" --body-file plan.md
        env:
          GH_TOKEN: \${{ github.token }}
          PR: \${{ github.event.pull_request.number }}
`;
}

/** The GitLab CI merge request check, same two jobs. */
export function gitlabCi(): string {
  return `# tbx merge request check.
# tbx-validate: any runner. tbx-plan: a runner tagged tbx-site that can read the shares, only
# when the CI/CD variable TBX_PLAN is "true"; it posts the plan as a merge request note
# (needs a project access token with api scope in TBX_GITLAB_TOKEN).
# CI/CD variables (Settings > CI/CD > Variables):
# ${TBX_PACKAGE_HELP}
# TBX_PLAN: "true" to run tbx-plan; TBX_GITLAB_TOKEN for its note.
stages: [check]

tbx-validate:
  stage: check
  image: node:20
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - 'if [ -z "$TBX_PACKAGE" ]; then echo "${TBX_PACKAGE_MISSING}" >&2; exit 1; fi'
    - npm install --global "$TBX_PACKAGE"
    - tbx validate .

tbx-plan:
  stage: check
  tags: [tbx-site]
  needs: [tbx-validate]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event" && $TBX_PLAN == "true"
  variables:
    TBX_TFTP_ROOT: /mnt/testbox-tftp
    TBX_BACKUP_ROOT: /mnt/testbox-backup
  script:
    - tbx plan --fleet . --format markdown > plan.md || [ $? -eq 2 ]
    - 'curl --fail --silent --show-error -X POST -H "PRIVATE-TOKEN: $TBX_GITLAB_TOKEN" --data-urlencode "body@plan.md" "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"'
  artifacts:
    paths: [plan.md]
`;
}

/** An example CODEOWNERS (GitHub and GitLab both read it at the repo root). */
export function codeowners(): string {
  return `# Who must approve a change before it merges. Replace the example teams with yours and turn on
# "Require review from Code Owners" (GitHub) or code owner approval (GitLab).
*              @lab/testbox-admins
/fleet.yaml    @lab/testbox-admins @lab/storage-admins
/testboxes/    @lab/testbox-admins
# status/ and notes/ are written by tbx itself (agents and the reconciler push them directly);
# keep them out of review but protected from people.
/status/       @lab/testbox-admins
/notes/        @lab/testbox-admins
`;
}

/** README of a new fleet repo. */
export function fleetReadme(): string {
  return `# Testbox fleet

Desired state of the lab's testboxes, reconciled by tbx.

- \`fleet.yaml\`: the site (maintenance boot, policy).
- \`testboxes/<name>.yaml\`: one file per box. Ask for an action with
  \`tbx request <box> restore --reason "..." --push\` and open a pull request.
- \`status/\`, \`notes/\`: written by tbx (agents and the reconciler). Do not edit.

Pull requests are checked by \`tbx validate\` and, where the shares are reachable, \`tbx plan\`
posts what will happen. See \`tbx --help\`.
`;
}

/** What goes into status/ and notes/ so the directories exist from the start. */
export function generatedDirReadme(what: string): string {
  return `${what} are written by tbx, one file per box. Do not edit them by hand.\n`;
}
