#!/usr/bin/env python3
"""A corpus of hostile (and benign-but-tricky) layer tars for ctr-layer.

usage: hostile_tars.py OUTDIR --outside DIR [--marker NAME]

Writes OUTDIR/<case>.tar, one tar per case, and OUTDIR/cases.json:

  {"outside": DIR, "marker": NAME, "cases": [
    {"name": ..., "file": "<case>.tar", "tries": "what the tar attempts",
     "expect": "refused" | "contained" | "either",
     "error": "substring of the one error line (refused, either)",
     "layer": [checks of the layer directory (contained; either when it
               was contained)],
     "host_absent": [host paths that must never exist]}]}

refused: ctr-layer exits 1 with one "ctr-layer: error: " line naming the
entry, and keeps no layer. contained: extraction succeeds and every entry
lands inside the layer. either: both are safe (docker contains, a refusal is
fine too); the test checks safety and records which it was.

A layer check is {"path": P} plus one of
  "type": "file" (with optional "content", "mode" (octal string), "uid",
          "size", "sparse": true, "same_inode_as": Q), "dir" (optional
          "xattr": {name: value}, "mode"), "symlink" ("target"),
          "char"/"block" ("rdev": "MAJOR:MINOR"), "fifo", "whiteout"
  "absent": true

The tars aim at DIR (canaries the test puts there: DIR/secret, DIR/canary,
DIR/dir/) by absolute name and through "../" chains long enough to reach /
from any store, and at /tmp/NAME*, /etc/NAME* and /NAME*, which must never
appear. Entries are made with tarfile.TarInfo: tarfile keeps names such as
"../x" or "/x" byte for byte on write.
"""

import argparse
import gzip
import io
import json
import os
import tarfile

UP = "../" * 40  # reaches / from any directory a store can be in
MTIME = 1000000000


def reg(name, data=b"", mode=0o644, uid=0, gid=0):
    if isinstance(data, str):
        data = data.encode()
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.REGTYPE
    ti.size = len(data)
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.mtime = MTIME
    return ti, data


def dirent(name, mode=0o755):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = mode
    ti.mtime = MTIME
    return ti, b""


def sym(name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.SYMTYPE
    ti.linkname = target
    ti.mode = 0o777
    ti.mtime = MTIME
    return ti, b""


def hard(name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.LNKTYPE
    ti.linkname = target
    ti.mode = 0o644
    ti.mtime = MTIME
    return ti, b""


def node(name, kind, major=0, minor=0, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.devmajor, ti.devminor = major, minor
    ti.mode = mode
    ti.mtime = MTIME
    return ti, b""


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """The members, each a (TarInfo, data) pair or raw header+data bytes,
    then the two zero blocks that end an archive (no record padding)."""
    out = b""
    for mem in members:
        if isinstance(mem, bytes):
            out += mem
            continue
        ti, data = mem
        out += ti.tobuf(fmt, "utf-8", "surrogateescape") + pad512(data)
    return out + b"\0" * 1024


def pad512(b):
    return b + b"\0" * (-len(b) % 512)


def checksum(block):
    b = bytearray(block)
    b[148:156] = b" " * 8
    return bytes(b[:148]) + b"%06o\0 " % sum(b) + bytes(b[156:])


REALSIZE = 1 << 20
CHUNK = 512  # whole blocks: every reader agrees where a chunk's data ends


def sparse_pax(name):
    """A PAX 1.0 sparse file (what GNU tar --sparse --format=pax writes):
    512 'H' bytes at 0, 512 'T' bytes at the end, a hole between."""
    smap = pad512(b"2\n0\n%d\n%d\n%d\n" % (CHUNK, REALSIZE - CHUNK, CHUNK))
    data = smap + b"H" * CHUNK + b"T" * CHUNK
    ti, _ = reg("GNUSparseFile.0/" + name, data)
    ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                      "GNU.sparse.name": name, "GNU.sparse.realsize": str(REALSIZE)}
    return ti, data


def sparse_gnu_old(name):
    """An old GNU sparse entry (type 'S', GNU tar's default --sparse form),
    built by hand: tarfile reads these but cannot write them."""
    ti, _ = reg(name, b"")
    ti.type = tarfile.GNUTYPE_SPARSE
    ti.size = 2 * CHUNK
    hdr = bytearray(ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape"))
    sp = b""
    for off in (0, REALSIZE - CHUNK):
        sp += b"%011o\0" % off + b"%011o\0" % CHUNK
    hdr[386:386 + len(sp)] = sp
    hdr[482] = 0  # no extension blocks
    hdr[483:495] = b"%011o\0" % REALSIZE
    return checksum(bytes(hdr)) + b"H" * CHUNK + b"T" * CHUNK


class Corpus:
    def __init__(self, outdir, outside, marker):
        self.outdir = outdir
        self.outside = outside.rstrip("/")
        self.rel = self.outside.lstrip("/")  # the outside dir as a name inside the layer
        self.marker = marker
        self.cases = []

    def add(self, name, tries, expect, data, error=None, layer=None, host_absent=None):
        fname = name + ".tar"
        with open(os.path.join(self.outdir, fname), "wb") as f:
            f.write(data)
        case = {"name": name, "file": fname, "tries": tries, "expect": expect}
        if error is not None:
            case["error"] = error
        if layer:
            case["layer"] = layer
        case["host_absent"] = host_absent or []
        self.cases.append(case)

    def write_index(self):
        with open(os.path.join(self.outdir, "cases.json"), "w") as f:
            json.dump({"outside": self.outside, "marker": self.marker, "cases": self.cases}, f, indent=1)
            f.write("\n")


# A benign first entry: a refusal after it must not leave a half-written layer.
BEFORE = reg("ok/before", "written before the hostile entry\n")


def build(c):
    o, rel, m = c.outside, c.rel, c.marker
    tmpm, etcm, rootm = "/tmp/" + m, "/etc/" + m, "/" + m

    # --- ".." components -------------------------------------------------
    n = UP + rel + "/dotdot-leading"
    c.add("dotdot-leading", "a file named ../../…/OUTSIDE/x", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")]), error=n)
    n = "../" + m + "-dotdot"
    c.add("dotdot-short", "a file named ../x (the store's layers/ dir)", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")]), error=n)
    n = "a/../" + UP + rel + "/dotdot-middle"
    c.add("dotdot-middle", "a file named a/../../x: climbs after a real component", "refused",
          tar_bytes([BEFORE, dirent("a/"), reg(n, "escaped\n")]), error=n)
    n = UP + "tmp/" + m + "-dotdot-tmp"
    c.add("dotdot-tmp", "a file named ../../…/tmp/MARKER", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")]), error=n, host_absent=[tmpm + "-dotdot-tmp"])
    n = UP + rel + "/dotdot-dir/"
    c.add("dotdot-dir", "a directory named ../../…/OUTSIDE/d/", "refused",
          tar_bytes([BEFORE, dirent(n)]), error=n.rstrip("/"))
    n = UP + rel + "/dotdot-symlink"
    c.add("dotdot-symlink", "a symlink named ../../…/OUTSIDE/l", "refused",
          tar_bytes([BEFORE, sym(n, "/etc/passwd")]), error=n)
    n = "/" + UP + rel + "/dotdot-abs"
    c.add("dotdot-abs", "an absolute name with .. after the /: /../../x", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")]), error=n)
    n = "../" + m + "-newline\nsecond-line"
    c.add("dotdot-newline", "a .. name with a newline in it: the error must stay one line", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")]), error="../" + m + "-newline")

    # --- absolute names ---------------------------------------------------
    c.add("absolute", "absolute names /OUTSIDE/x, /etc/MARKER, /tmp/MARKER, /MARKER", "contained",
          tar_bytes([reg(o + "/abs-file", "inside\n"), reg(etcm, "etc\n"), reg(tmpm + "-abs", "tmp\n"),
                     reg(rootm + "-abs", "root\n"), dirent(o + "/abs-dir/")]),
          layer=[{"path": rel + "/abs-file", "type": "file", "content": "inside\n"},
                 {"path": "etc/" + m, "type": "file", "content": "etc\n"},
                 {"path": "tmp/" + m + "-abs", "type": "file", "content": "tmp\n"},
                 {"path": m + "-abs", "type": "file", "content": "root\n"},
                 {"path": rel + "/abs-dir", "type": "dir"}],
          host_absent=[etcm, tmpm + "-abs", rootm + "-abs"])

    # --- writes through symlinks ------------------------------------------
    c.add("symlink-root-write", "escape -> /, then files escape/OUTSIDE/x and escape/tmp/MARKER", "contained",
          tar_bytes([sym("escape", "/"), reg("escape/" + rel + "/through-root", "inside\n"),
                     reg("escape/tmp/" + m + "-through", "inside\n")]),
          layer=[{"path": "escape", "type": "symlink", "target": "/"},
                 {"path": rel + "/through-root", "type": "file", "content": "inside\n"},
                 {"path": "tmp/" + m + "-through", "type": "file", "content": "inside\n"}],
          host_absent=[tmpm + "-through"])
    c.add("symlink-dotdot-write", "up -> ../../.., then a file up/OUTSIDE/x", "contained",
          tar_bytes([sym("up", UP.rstrip("/")), reg("up/" + rel + "/through-dotdot", "inside\n")]),
          layer=[{"path": "up", "type": "symlink", "target": UP.rstrip("/")},
                 {"path": rel + "/through-dotdot", "type": "file", "content": "inside\n"}])
    c.add("symlink-abs-dangling", "l -> OUTSIDE (absolute, not in the layer), then a file l/x",
          "either", tar_bytes([BEFORE, sym("l", o), reg("l/through-abs", "escaped?\n")]),
          error="l/through-abs",
          layer=[{"path": "l", "type": "symlink", "target": o},
                 {"path": rel + "/through-abs", "type": "file"}])
    c.add("symlink-abs-inside", "OUTSIDE exists in the layer; l -> OUTSIDE, then l/x lands in the layer's copy",
          "contained", tar_bytes([dirent(rel + "/"), sym("l", o), reg("l/through-abs", "inside\n")]),
          layer=[{"path": "l", "type": "symlink", "target": o},
                 {"path": rel + "/through-abs", "type": "file", "content": "inside\n"}])
    c.add("dir-replaced-by-symlink", "replaced/ (a directory), then replaced -> ../../.., then a file "
          "replaced/OUTSIDE/x", "either",
          tar_bytes([BEFORE, dirent("replaced/"), sym("replaced", UP.rstrip("/")),
                     reg("replaced/" + rel + "/dir-replaced", "escaped?\n")]),
          error="replaced",
          layer=[{"path": "replaced", "type": "symlink", "target": UP.rstrip("/")},
                 {"path": rel + "/dir-replaced", "type": "file"}])
    c.add("nonempty-dir-replaced-by-symlink", "full/ with full/f, then full -> OUTSIDE, then a file full/x",
          "either", tar_bytes([BEFORE, dirent("full/"), reg("full/f", "f\n"), sym("full", o),
                               reg("full/nonempty-replaced", "escaped?\n")]),
          error="full",
          layer=[{"path": "full", "type": "symlink", "target": o},
                 {"path": rel + "/nonempty-replaced", "type": "file"}])
    c.add("symlink-then-dir", "s -> ../../../OUTSIDE, then a directory entry s/ with mode 0777 "
          "(a naive chmod/chown would follow the link)", "either",
          tar_bytes([BEFORE, sym("symdir", UP + rel), dirent("symdir/", 0o777)]), error="symdir",
          layer=[{"path": "symdir", "type": "dir", "mode": "777"}])
    c.add("symlink-chain", "a -> b -> c -> ../../.., then a file a/OUTSIDE/x", "contained",
          tar_bytes([sym("a", "b"), sym("b", "sub/c"), dirent("sub/"), sym("sub/c", UP.rstrip("/")),
                     reg("a/" + rel + "/chain", "inside\n")]),
          layer=[{"path": "a", "type": "symlink", "target": "b"},
                 {"path": "sub/c", "type": "symlink", "target": UP.rstrip("/")},
                 {"path": rel + "/chain", "type": "file", "content": "inside\n"}])
    c.add("symlink-loop", "loop1 -> loop2 -> loop1, then a file loop1/x", "refused",
          tar_bytes([BEFORE, sym("loop1", "loop2"), sym("loop2", "loop1"), reg("loop1/x", "x\n")]),
          error="loop1/x")
    c.add("file-over-symlink", "f -> OUTSIDE/secret, then a regular file f: the write must not follow f",
          "contained", tar_bytes([sym("f", o + "/secret"), reg("f", "layer's own\n")]),
          layer=[{"path": "f", "type": "file", "content": "layer's own\n"}])
    c.add("symlink-over-symlink", "a symlink replaced by a later one to OUTSIDE: later wins, nothing followed",
          "contained", tar_bytes([sym("s", "/etc"), sym("s", o + "/secret")]),
          layer=[{"path": "s", "type": "symlink", "target": o + "/secret"}])

    # --- hard links -------------------------------------------------------
    n = "hl-dotdot"
    c.add("hardlink-dotdot", "a hard link to ../../…/OUTSIDE/secret", "refused",
          tar_bytes([BEFORE, hard(n, UP + rel + "/secret")]), error=n)
    c.add("hardlink-dotdot-short", "a hard link to ../../x", "refused",
          tar_bytes([BEFORE, hard("hl-short", "../../x")]), error="hl-short")
    c.add("hardlink-abs-passwd", "a hard link to /etc/passwd", "refused",
          tar_bytes([BEFORE, hard("hl-passwd", "/etc/passwd")]), error="hl-passwd")
    c.add("hardlink-abs-outside", "a hard link to OUTSIDE/secret by absolute name", "refused",
          tar_bytes([BEFORE, hard("hl-abs", o + "/secret")]), error="hl-abs")
    c.add("hardlink-abs-inside", "OUTSIDE/secret exists in the layer; a hard link to /OUTSIDE/secret is to that copy",
          "contained", tar_bytes([reg(rel + "/secret", "layer copy\n"), hard("hl-abs", o + "/secret")]),
          layer=[{"path": "hl-abs", "type": "file", "content": "layer copy\n", "same_inode_as": rel + "/secret"}])
    c.add("hardlink-via-symlink", "d -> ../../../etc, then a hard link to d/passwd", "refused",
          tar_bytes([BEFORE, sym("d", UP + "etc"), hard("hl-via", "d/passwd")]), error="hl-via")
    c.add("hardlink-to-symlink", "s -> OUTSIDE/secret, then a hard link h to s: h is the link itself, not the secret",
          "contained", tar_bytes([sym("s", o + "/secret"), hard("h", "s")]),
          layer=[{"path": "h", "type": "symlink", "target": o + "/secret", "same_inode_as": "s"}])
    c.add("hardlink-to-symlink-write", "s -> OUTSIDE/secret, h hard link to s, then a file h written",
          "contained", tar_bytes([sym("s", o + "/secret"), hard("h", "s"), reg("h", "layer's own\n")]),
          layer=[{"path": "h", "type": "file", "content": "layer's own\n"},
                 {"path": "s", "type": "symlink", "target": o + "/secret"}])
    c.add("hardlink-forward", "a hard link to an entry that comes later in the tar", "refused",
          tar_bytes([BEFORE, hard("hl-forward", "later"), reg("later", "later\n")]), error="hl-forward")
    c.add("hardlink-to-dir", "a hard link to a directory", "refused",
          tar_bytes([BEFORE, dirent("somedir/"), hard("hl-dir", "somedir")]), error="hl-dir")

    # --- whiteouts --------------------------------------------------------
    n = "../.wh." + m
    c.add("whiteout-dotdot", "a whiteout ../.wh.x (would delete next to the layer)", "refused",
          tar_bytes([BEFORE, reg(n)]), error=n)
    n = "a/" + UP + rel + "/.wh.canary"
    c.add("whiteout-dotdot-middle", "a whiteout a/../../…/OUTSIDE/.wh.canary", "refused",
          tar_bytes([BEFORE, dirent("a/"), reg(n)]), error=n)
    c.add("whiteout-abs", "a whiteout /OUTSIDE/.wh.canary: whites out the layer's path, not the host's",
          "contained", tar_bytes([reg(o + "/.wh.canary")]),
          layer=[{"path": rel + "/canary", "type": "whiteout"},
                 {"path": rel + "/.wh.canary", "absent": True}])
    c.add("whiteout-through-symlink", "l -> /, then a whiteout l/OUTSIDE/.wh.canary", "contained",
          tar_bytes([sym("l", "/"), reg("l/" + rel + "/.wh.canary")]),
          layer=[{"path": rel + "/canary", "type": "whiteout"}])
    c.add("whiteout-bare", "a bare .wh. file (whites out nothing)", "refused",
          tar_bytes([BEFORE, reg(".wh.")]), error=".wh.")
    c.add("whiteout-bare-subdir", "a bare a/.wh. file", "refused",
          tar_bytes([BEFORE, reg("a/.wh.")]), error="a/.wh.")
    c.add("whiteout-of-dotdot", "a whiteout .wh... (would white out the parent)", "refused",
          tar_bytes([BEFORE, reg("sub/.wh...")]), error="sub/.wh...")
    c.add("opaque-in-symlink-dir", "l -> OUTSIDE (absolute, not in the layer), then l/.wh..wh..opq",
          "either", tar_bytes([BEFORE, sym("l", o), reg("l/.wh..wh..opq")]), error="l/.wh..wh..opq",
          layer=[{"path": "l", "type": "symlink", "target": o}])
    c.add("opaque-in-symlink-dir-inside", "OUTSIDE exists in the layer; l -> OUTSIDE, then l/.wh..wh..opq: "
          "the layer's copy may be marked (or the marker dropped as moot), the host's never",
          "contained", tar_bytes([dirent(rel + "/"), sym("l", o), reg("l/.wh..wh..opq")]),
          layer=[{"path": rel, "type": "dir"},
                 {"path": "l", "type": "symlink", "target": o},
                 {"path": "l/.wh..wh..opq", "absent": True}])
    c.add("whiteout-in-symlink-dir", "l -> OUTSIDE (absolute, not in the layer), then l/.wh.canary "
          "(a naive whiteout deletes OUTSIDE/canary)", "either",
          tar_bytes([BEFORE, sym("l", o), reg("l/.wh.canary")]), error="l/.wh.canary",
          layer=[{"path": "l", "type": "symlink", "target": o}])
    c.add("whiteout-in-symlink-dotdot", "l -> ../../…/OUTSIDE, then l/.wh.canary", "either",
          tar_bytes([BEFORE, sym("l", UP + rel), reg("l/.wh.canary")]), error="l/.wh.canary",
          layer=[{"path": "l", "type": "symlink", "target": UP + rel}])
    c.add("opaque-dir", "d/ then d/.wh..wh..opq: d is marked opaque, the marker is not a file", "contained",
          tar_bytes([dirent("d/"), reg("d/f", "f\n"), reg("d/.wh..wh..opq")]),
          layer=[{"path": "d", "type": "dir", "xattr": {"trusted.overlay.opaque": "y"}},
                 {"path": "d/f", "type": "file", "content": "f\n"},
                 {"path": "d/.wh..wh..opq", "absent": True}])

    # --- long names -------------------------------------------------------
    n = "long/" + "x" * 300
    c.add("name-component-too-long", "a name component of 300 bytes (NAME_MAX is 255)", "refused",
          tar_bytes([BEFORE, reg(n, "x\n")]), error=n)
    n = "/".join(["p%03d" % i + "q" * 246 for i in range(20)]) + "/deep"
    c.add("path-too-long", "a %d-byte path (PATH_MAX is 4096) in a pax header" % len(n), "refused",
          tar_bytes([BEFORE, reg(n, "x\n")]), error=n)
    n = "g" * 200 + "/" + "h" * 200
    c.add("gnu-longname", "a 401-byte name in GNU ././@LongLink records", "contained",
          tar_bytes([reg(n, "long\n"), hard("gnu-hl", n)], tarfile.GNU_FORMAT),
          layer=[{"path": n, "type": "file", "content": "long\n"},
                 {"path": "gnu-hl", "type": "file", "same_inode_as": n}])
    n = "g" * 120 + "/" + UP + rel + "/gnu-dotdot"
    c.add("gnu-longname-dotdot", "a GNU long name hiding ../../…/OUTSIDE/x past byte 100", "refused",
          tar_bytes([BEFORE, reg(n, "escaped\n")], tarfile.GNU_FORMAT), error=n)
    c.add("gnu-longlink-dotdot", "a hard link whose GNU long link target is ../../…/OUTSIDE/secret", "refused",
          tar_bytes([BEFORE, hard("gnu-hl", UP + rel + "/secret")], tarfile.GNU_FORMAT), error="gnu-hl")
    ti, data = reg("benign-name", "escaped\n")
    n = UP + rel + "/pax-override"
    ti.pax_headers = {"path": n}
    c.add("pax-path-override", "ustar name 'benign-name', pax path ../../…/OUTSIDE/x (pax wins)", "refused",
          tar_bytes([BEFORE, (ti, data)]), error=n)

    # --- broken archives --------------------------------------------------
    whole = tar_bytes([BEFORE, reg("cut-short", b"t" * 100000)], tarfile.USTAR_FORMAT)
    c.add("truncated", "a header claiming 100000 bytes followed by 1000, no end blocks", "refused",
          whole[:512 * 4 + 1000], error="not a tar archive")
    c.add("not-a-tar", "a text file", "refused", b"this is not a tar archive\n" * 40,
          error="not a tar archive")
    bad = bytearray(tar_bytes([reg("badsum", "x\n")], tarfile.USTAR_FORMAT))
    bad[0] ^= 0x01  # the name changes, the checksum does not
    c.add("bad-checksum", "a header whose checksum does not match", "refused", bytes(bad),
          error="not a tar archive")

    # --- benign but tricky: must be contained correctly ------------------
    c.add("duplicates", "the same names twice: file, dir (mode), symlink; the later entry wins", "contained",
          tar_bytes([reg("dup", "first\n", 0o600), reg("dup", "second\n", 0o640),
                     sym("duplink", "first"), sym("duplink", "second"),
                     reg("f2l", "file\n"), sym("f2l", "dup"), sym("l2f", "dup"), reg("l2f", "file\n")]),
          layer=[{"path": "dup", "type": "file", "content": "second\n", "mode": "640"},
                 {"path": "duplink", "type": "symlink", "target": "second"},
                 {"path": "f2l", "type": "symlink", "target": "dup"},
                 {"path": "l2f", "type": "file", "content": "file\n"}])
    c.add("dup-dir-modes", "the same directory twice, modes 0700 then 0750: the later mode wins", "contained",
          tar_bytes([dirent("dupdir/", 0o700), reg("dupdir/f", "f\n"), dirent("dupdir/", 0o750)]),
          layer=[{"path": "dupdir", "type": "dir", "mode": "750"},
                 {"path": "dupdir/f", "type": "file", "content": "f\n"}])
    c.add("dup-dir-then-file", "a directory, then a file of the same name: the file wins", "contained",
          tar_bytes([dirent("d2f/"), reg("d2f", "file\n")]),
          layer=[{"path": "d2f", "type": "file", "content": "file\n"}])
    c.add("dup-file-then-dir", "a file, then a directory of the same name with a child: the directory wins",
          "contained", tar_bytes([reg("f2d", "file\n"), dirent("f2d/", 0o755), reg("f2d/child", "c\n")]),
          layer=[{"path": "f2d", "type": "dir"},
                 {"path": "f2d/child", "type": "file", "content": "c\n"}])
    c.add("devices", "a char device, a block device and a fifo", "contained",
          tar_bytes([dirent("dev/"), node("dev/null", tarfile.CHRTYPE, 1, 3, 0o666),
                     node("dev/loop7", tarfile.BLKTYPE, 7, 7, 0o660),
                     node("dev/fifo", tarfile.FIFOTYPE, 0, 0, 0o600)]),
          layer=[{"path": "dev/null", "type": "char", "rdev": "1:3", "mode": "666"},
                 {"path": "dev/loop7", "type": "block", "rdev": "7:7", "mode": "660"},
                 {"path": "dev/fifo", "type": "fifo", "mode": "600"}])
    c.add("setuid", "setuid/setgid files (one owned by 1000) and a sticky dir keep their modes", "contained",
          tar_bytes([reg("bin/su", "#!/bin/sh\n", 0o4755), reg("bin/sg", "#!/bin/sh\n", 0o2755),
                     reg("bin/usr-suid", "#!/bin/sh\n", 0o4750, 1000, 1000), dirent("tmp/", 0o1777)]),
          layer=[{"path": "bin/su", "type": "file", "mode": "4755", "uid": 0},
                 {"path": "bin/sg", "type": "file", "mode": "2755"},
                 {"path": "bin/usr-suid", "type": "file", "mode": "4750", "uid": 1000},
                 {"path": "tmp", "type": "dir", "mode": "1777"}])
    c.add("sparse", "a 1 MiB sparse file in PAX 1.0 and in old GNU form: data at both ends, a hole between",
          "contained",
          tar_bytes([sparse_pax("sparse-pax"), sparse_gnu_old("sparse-gnu")]),
          layer=[{"path": "sparse-pax", "type": "file", "size": REALSIZE, "sparse": True},
                 {"path": "sparse-gnu", "type": "file", "size": REALSIZE, "sparse": True},
                 {"path": "GNUSparseFile.0", "absent": True}])
    c.add("dot-names", "./, . and ./a/./b//c names", "contained",
          tar_bytes([dirent("./"), dirent("."), reg("./a/./b//c", "c\n")]),
          layer=[{"path": "a/b/c", "type": "file", "content": "c\n"}])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--outside", required=True, help="absolute host directory the tars aim at")
    ap.add_argument("--marker", default="ctr-hostile-%d" % os.getpid(),
                    help="name prefix for /tmp, /etc and / targets")
    args = ap.parse_args()
    if not args.outside.startswith("/"):
        ap.error("--outside must be absolute")
    os.makedirs(args.outdir, exist_ok=True)
    c = Corpus(args.outdir, args.outside, args.marker)
    build(c)
    # The same tars gzip-compressed (mtime 0: the same bytes every run).
    for case in c.cases:
        src = os.path.join(args.outdir, case["file"])
        with open(src, "rb") as f, open(src + ".gz", "wb") as out:
            out.write(gzip.compress(f.read(), mtime=0))
    c.write_index()


if __name__ == "__main__":
    main()
