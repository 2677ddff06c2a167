#!/usr/bin/env python3
"""The mutation list (tests/mutation/mutations.txt): parse, check, apply.

    mutate.py check LIST ROOT         every mutation applies exactly once in ROOT
                                      (prints "<name> OK" or "<name> STALE: why";
                                      exit 1 if any is stale or the list is malformed)
    mutate.py names LIST              the names, in list order
    mutate.py get LIST NAME FIELD     one field: file, tests, why
    mutate.py apply LIST NAME ROOT    applies one mutation to ROOT/<file>; exit 3 if stale

The list format is described at the top of mutations.txt. Replacement is by
exact text: the snippet must occur exactly once in the file, so a refactor
that moves or rewrites the protected code makes its mutation STALE (the check
fails) instead of silently testing nothing.
"""
import pathlib
import re
import sys

FIELDS = ("file", "tests", "why")


class ListError(Exception):
    pass


def parse(list_path):
    mutations = []
    current = None
    section = None  # None (header), "find", "replace"
    for number, raw in enumerate(pathlib.Path(list_path).read_text().split("\n"), 1):
        where = f"{list_path}:{number}"
        if raw.startswith("=== "):
            current = {"name": raw[4:].strip(), "line": number, "find": [], "replace": []}
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", current["name"]):
                raise ListError(f"{where}: mutation name '{current['name']}': expected [a-z0-9.-]+")
            mutations.append(current)
            section = None
        elif current is None or section == "end" or (section is None and (raw.startswith("#") or not raw.strip())):
            if section == "end" and raw.strip() and not raw.startswith("#"):
                raise ListError(f"{where}: text after '--- end' (expected a comment or '=== name')")
            continue
        elif raw == "--- end":
            if section != "replace":
                raise ListError(f"{where}: '--- end' before '--- replace'")
            section = "end"
        elif raw in ("--- find", "--- replace"):
            wanted = "find" if raw == "--- find" else "replace"
            if (wanted == "find" and section is not None) or (wanted == "replace" and section != "find"):
                raise ListError(f"{where}: '{raw}' out of order (expected --- find, then --- replace)")
            section = wanted
        elif section is None:
            key, sep, value = raw.partition(":")
            if not sep or key.strip() not in FIELDS:
                raise ListError(f"{where}: expected one of {', '.join(FIELDS)} as 'key: value', "
                                f"or '--- find', saw '{raw}'")
            current[key.strip()] = value.strip()
        else:
            current[section].append(raw)
    if current is not None and section != "end":
        raise ListError(f"{list_path}:{current['line']} ({current['name']}): no '--- end'")
    names = set()
    for m in mutations:
        where = f"{list_path}:{m['line']} ({m['name']})"
        for key in FIELDS:
            if not m.get(key):
                raise ListError(f"{where}: '{key}:' is missing")
        for key in ("find", "replace"):
            m[key] = "\n".join(m[key])
        if not m["find"]:
            raise ListError(f"{where}: '--- find' is missing or empty")
        if m["find"] == m["replace"]:
            raise ListError(f"{where}: the replacement equals the snippet")
        if m["name"] in names:
            raise ListError(f"{where}: duplicate name")
        names.add(m["name"])
    if not mutations:
        raise ListError(f"{list_path}: no mutation ('=== name') in the list")
    return mutations


def stale_reason(m, root):
    path = pathlib.Path(root) / m["file"]
    if not path.is_file():
        return f"{m['file']} does not exist"
    count = path.read_text().count(m["find"])
    if count == 0:
        return f"the snippet is not in {m['file']} (refactored? update tests/mutation/mutations.txt)"
    if count > 1:
        return f"the snippet occurs {count} times in {m['file']}; make it unique"
    return None


def find(mutations, name):
    for m in mutations:
        if m["name"] == name:
            return m
    raise ListError(f"no mutation named '{name}'")


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "check":
            bad = 0
            for m in parse(argv[2]):
                why = stale_reason(m, argv[3])
                print(f"{m['name']} {'OK' if why is None else 'STALE: ' + why}")
                bad += why is not None
            return 1 if bad else 0
        if len(argv) == 3 and argv[1] == "names":
            for m in parse(argv[2]):
                print(m["name"])
            return 0
        if len(argv) == 5 and argv[1] == "get" and argv[4] in FIELDS:
            print(find(parse(argv[2]), argv[3])[argv[4]])
            return 0
        if len(argv) == 5 and argv[1] == "apply":
            m = find(parse(argv[2]), argv[3])
            why = stale_reason(m, argv[4])
            if why is not None:
                print(f"{m['name']}: STALE: {why}", file=sys.stderr)
                return 3
            path = pathlib.Path(argv[4]) / m["file"]
            path.write_text(path.read_text().replace(m["find"], m["replace"], 1))
            return 0
    except (ListError, OSError) as e:
        print(f"mutate.py: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
