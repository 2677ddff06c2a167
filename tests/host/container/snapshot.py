#!/usr/bin/python3
"""Runs INSIDE the container: prints, as one JSON object, everything a fault
scenario must leave as it was, so the test compares two snapshots byte for byte:

  units     per unit: ActiveState, SubState, the contents of its drop-ins, the
            allocator libraries its MainPID maps (/proc/PID/maps)
  unit_dir  every entry below /etc/systemd/system: SHA-256 of a file, target
            of a symlink, "dir" for a directory (a left-over empty <unit>.d counts)
  state     every file below /var/lib/allocpipe except the journals
            (journal/*.json) and the lock: a temporary file left there shows up

  snapshot.py [--lib-dir DIR] UNIT...
"""
import hashlib
import json
import os
import re
import subprocess
import sys

UNIT_DIR = "/etc/systemd/system"
STATE_DIR = "/var/lib/allocpipe"
ALLOCATOR = re.compile(r"^lib(mimalloc|jemalloc|tcmalloc)|^libabort-test")


def show(unit):
    out = subprocess.run(["systemctl", "show", unit, "-p", "ActiveState", "-p", "SubState",
                          "-p", "MainPID", "-p", "DropInPaths"],
                         check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def mapped(pid, lib_dir):
    libs = set()
    if pid in ("", "0"):
        return []
    try:
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) == 6:
                    path = fields[5].strip()
                    if path.startswith(lib_dir + "/") or ALLOCATOR.match(os.path.basename(path)):
                        libs.add(path)
    except FileNotFoundError:
        return ["(MainPID %s is gone)" % pid]
    return sorted(libs)


def tree(top, skip=lambda rel: False):
    out = {}
    for base, dirs, files in os.walk(top):
        dirs.sort()
        for name in dirs:
            path = os.path.join(base, name)
            if not os.path.islink(path) and not skip(os.path.relpath(path, top)):
                out[os.path.relpath(path, top)] = "dir"
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(base, d))]:
            path = os.path.join(base, name)
            rel = os.path.relpath(path, top)
            if skip(rel):
                continue
            if os.path.islink(path):
                out[rel] = "-> " + os.readlink(path)
            else:
                with open(path, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def main(argv):
    lib_dir = "/usr/local/lib/mimalloc"
    if argv[:1] == ["--lib-dir"]:
        lib_dir, argv = argv[1], argv[2:]
    units = {}
    for unit in argv:
        props = show(unit)
        drop_ins = {}
        for path in props.get("DropInPaths", "").split():
            with open(path) as f:
                drop_ins[path] = f.read()
        units[unit] = {"active": props.get("ActiveState"), "sub": props.get("SubState"),
                       "drop_ins": drop_ins, "mapped": mapped(props.get("MainPID", ""), lib_dir)}
    state = tree(STATE_DIR, lambda rel: rel in ("lock", "journal") or re.fullmatch(r"journal/[^/]+\.json", rel) is not None) \
        if os.path.isdir(STATE_DIR) else {}
    json.dump({"units": units, "unit_dir": tree(UNIT_DIR), "state": state}, sys.stdout, indent=1, sort_keys=True)
    print()


main(sys.argv[1:])
