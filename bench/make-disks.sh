#!/usr/bin/env bash
# Build the imaging benchmark's 4 GiB test disks once, into a cache directory outside the
# repo (default ${TMPDIR:-/tmp}/tbx-bench), the way shared/docs/bench-images/make-images.sh
# built the disks behind the issue's figures: a Debian bookworm minbase root (debootstrap,
# cached in the same directory) plus ~1.3 GB of this machine's /usr under /opt/hostusr
# (binaries, libraries, headers, python), so the disks are reproducible on one machine as long
# as the mirror's bookworm and /usr do not change.
#   os.img       ext4, the OS tree, free space zero (a freshly installed disk)
#   used.img     same tree, but the free space held old random data before mkfs (a used disk)
#   ntfs-used.img  the same tree on NTFS (mkntfs quick format over the same old random data,
#                the tree copied in through ntfs-3g): a used Windows-style disk
#   week2.img    os.img changed in place with debugfs: a new package, "upgraded" files, deletions (~3 %)
#   other.img    the same tree installed on another box: a 10 MiB + 12 KiB file first shifts the layout
#   garbage.img  random data, the target of the full restore
# Everything random is derived from fixed keys (openssl aes-128-ctr, sha256 chains).
# Needs: debootstrap (and the Debian mirror apt uses) e2fsprogs ntfs-3g (and /dev/fuse) openssl
# python3 coreutils.
# Without debootstrap or the mirror it builds the disks without the minbase root and says so
# (disks.done then reads "v3-nobase"; the benchmark prints it).
set -euo pipefail
OUT=${1:-${TBX_BENCH_DIR:-${TMPDIR:-/tmp}/tbx-bench}}
SIZE_MB=${TBX_BENCH_DISK_MB:-4096}
mkdir -p "$OUT"
cd "$OUT"
if [ -f disks.done ] && grep -qx "v3\(-nobase\)\? $SIZE_MB" disks.done; then echo "bench disks: cached in $OUT ($(cat disks.done))"; exit 0; fi
rm -f disks.done

random_file() { # <file> <key> <MiB>: deterministic random bytes
  openssl enc -aes-128-ctr -nosalt -pass "pass:$2" -pbkdf2 -in /dev/zero 2>/dev/null | head -c $(($3 * 1024 * 1024)) > "$1" || true
}

# ---- 1. the OS tree: minbase root + ~1.3 GB of host payload ----------------
VERSION=v3
MIRROR=${TBX_BENCH_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
if [ ! -x rootfs/usr/bin/apt ]; then
  rm -rf rootfs rootfs.tmp
  if command -v debootstrap >/dev/null && debootstrap --variant=minbase bookworm rootfs.tmp "$MIRROR" >debootstrap.log 2>&1; then
    mv rootfs.tmp rootfs
  else
    echo "WARN: debootstrap bookworm from $MIRROR failed (see $OUT/debootstrap.log): building the disks without the minbase root"
    rm -rf rootfs.tmp && mkdir -p rootfs/etc
    VERSION=v3-nobase
  fi
fi
rm -rf tree1 && cp -a rootfs tree1
P=tree1/opt/hostusr && mkdir -p $P/lib
cp -a /usr/bin $P/
cp -a /usr/lib/x86_64-linux-gnu /usr/lib/gcc /usr/lib/python3.11 $P/lib/
cp -a /usr/include $P/
du -sh tree1

MKFS_OPTS="-q -F -t ext4 -b 4096 -U 0b1e9f6e-0000-4000-8000-000000000001 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0,hash_seed=0b1e9f6e-0000-4000-8000-000000000002"
export E2FSPROGS_FAKE_TIME=1700000000

# ---- 2. os.img: free space zero --------------------------------------------
rm -f os.img && dd if=/dev/zero of=os.img bs=1M count="$SIZE_MB" status=none
mkfs.ext4 $MKFS_OPTS -d tree1 os.img
e2fsck -fn os.img >/dev/null 2>&1 || echo "WARN: e2fsck -fn os.img rc=$?"

# ---- 3. used.img: free space = old random data -----------------------------
random_file used.img oldgarbage "$SIZE_MB"
mkfs.ext4 $MKFS_OPTS -d tree1 used.img
e2fsck -fn used.img >/dev/null 2>&1 || echo "WARN: e2fsck -fn used.img rc=$?"

# ---- 3b. ntfs-used.img: the same tree on NTFS over the same old data ---------
# Device nodes and sockets of the minbase root do not go onto NTFS; everything else does.
random_file ntfs-used.img oldgarbage "$SIZE_MB"
# mkntfs warns about the missing disk geometry of a plain file; only its failure matters.
mkntfs -q -F -f -c 4096 -L tbx-bench ntfs-used.img >mkntfs.log 2>&1 || { cat mkntfs.log; exit 1; }
mkdir -p ntfs-mnt
ntfs-3g ntfs-used.img ntfs-mnt
(cd tree1 && find . -type b -o -type c -o -type s -o -type p -prune -o -print0 | cpio -0 -pdm --quiet ../ntfs-mnt 2>/dev/null) || true
echo "ntfs-used.img: $(du -sh ntfs-mnt | cut -f1) copied"
umount ntfs-mnt && rmdir ntfs-mnt
ntfsfix -n ntfs-used.img >/dev/null 2>&1 || echo "WARN: ntfsfix -n ntfs-used.img failed"

# ---- 4. the week's changes (new package, upgraded files, deletions) --------
rm -rf mods && mkdir -p mods/new mods/upg
jdk=$(ls -d /usr/lib/jvm/*/lib/server 2>/dev/null | head -1 || true)
if [ -n "$jdk" ]; then cp -a "$jdk" mods/new/; cp -a "$(dirname "$jdk")"/*.so mods/new/ 2>/dev/null || true
else random_file mods/new/payload.bin newpackage 40; fi
du -sh mods/new
python3 - <<'PY'
import os, hashlib
root='tree1'; base='opt/hostusr/lib/x86_64-linux-gnu'
files=[]
for d,_,fs in os.walk(os.path.join(root,base)):
    for f in sorted(fs):
        p=os.path.join(d,f)
        if os.path.islink(p) or not os.path.isfile(p): continue
        if os.path.getsize(p) > 8192: files.append(p)
files.sort()
sel=[]; tot=0
for i,p in enumerate(files):
    if i%7: continue
    s=os.path.getsize(p)
    if tot+s > 60e6: continue
    sel.append(p); tot+=s
cmds=[]
for i,p in enumerate(sel):
    rel='/'+os.path.relpath(p,root)
    data=bytearray(open(p,'rb').read())
    if i%2:
        for off in range(4096, len(data), 65536): data[off:off+16]=hashlib.md5(bytes(data[off:off+16])).digest()
        data[1024:1024]=b'#upgraded-version-2.0#'*9
    else:
        out=bytearray(); c=hashlib.sha256(rel.encode()).digest()
        while len(out)<len(data):
            c=hashlib.sha256(c).digest(); out+=c*8
        data=out[:len(data)]
    tmp='mods/upg/%05d'%i
    open(tmp,'wb').write(data)
    cmds.append((rel,tmp))
with open('mods/debugfs.cmds','w') as f:
    f.write('mkdir /opt\nmkdir /opt/newpkg\n')
    for d,dirs,fs in os.walk('mods/new'):
        rd='/opt/newpkg/'+os.path.relpath(d,'mods/new') if d!='mods/new' else '/opt/newpkg'
        for dd in sorted(dirs): f.write('mkdir %s/%s\n'%(rd,dd))
        for ff in sorted(fs):
            lp=os.path.join(d,ff)
            if os.path.isfile(lp) and not os.path.islink(lp): f.write('write %s %s/%s\n'%(lp,rd,ff))
    for rel,tmp in cmds: f.write('write %s %s.dpkg-new\n'%(tmp,rel))
    for rel,tmp in cmds:
        f.write('rm %s\n'%rel); f.write('ln %s.dpkg-new %s\n'%(rel,rel)); f.write('unlink %s.dpkg-new\n'%rel)
    for d,_,fs in os.walk(os.path.join(root,'opt/hostusr/lib/python3.11/test')):
        for ff in sorted(fs):
            p=os.path.join(d,ff)
            if os.path.isfile(p) and not os.path.islink(p): f.write('rm /%s\n'%os.path.relpath(p,root))
print('upgraded files:',len(sel),'bytes',tot)
PY

# ---- 5. week2.img = os.img + the changes, in place -------------------------
cp --sparse=never os.img week2.img
E2FSPROGS_FAKE_TIME=1700100000 debugfs -w -f mods/debugfs.cmds week2.img >/dev/null 2>mods/debugfs.err || true
e2fsck -fy week2.img >/dev/null 2>&1 || true
e2fsck -fn week2.img >/dev/null 2>&1 || echo "WARN: e2fsck -fn week2.img rc=$?"

# ---- 6. other.img: the same tree installed on another box (shifted layout) --
rm -rf tree3 && cp -a tree1 tree3
random_file tree3/aaa-machine-specific.bin othermachine 10
head -c 12288 /dev/zero | tr '\0' 'x' >> tree3/aaa-machine-specific.bin
rm -f other.img && dd if=/dev/zero of=other.img bs=1M count="$SIZE_MB" status=none
mkfs.ext4 $MKFS_OPTS -d tree3 other.img
rm -rf tree3

# ---- 7. garbage.img: the target of the full restore -------------------------
random_file garbage.img restoretarget "$SIZE_MB"

rm -rf tree1 mods
ls -l ./*.img
echo "$VERSION $SIZE_MB" > disks.done
