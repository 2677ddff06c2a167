"""Allocation-heavy workload for allocpipe's real-program smoke check.

allocpipe-smoke runs this twice with PYTHONMALLOC=malloc (so every Python
object goes through malloc/realloc/free): once plainly and once under
LD_PRELOAD=<library>. Standard output must be identical. The process's
/proc/self/maps is copied to the path given as the only argument, so the
harness can see which allocator was mapped.

Peak memory stays near 100 MB; output is deterministic (no addresses,
no hash-order dependent iteration).
"""
import hashlib
import json
import sys


def dict_churn(rounds=2, size=60_000):
    for rnd in range(rounds):
        d = {}
        for i in range(size):
            key = f"key-{rnd}-{i:07d}"
            d[key] = key * (1 + i % 11)
        total = sum(len(v) for v in d.values())
        for i in range(0, size, 3):
            del d[f"key-{rnd}-{i:07d}"]
        digest = hashlib.sha256("".join(list(d.values())[::97]).encode()).hexdigest()
        print(f"dict round {rnd}: {size} entries, {total} chars, {len(d)} left, {digest[:16]}")


def string_building(parts=120_000):
    pieces = [f"{i:x}-{(i * 2654435761) % 1000003}" for i in range(parts)]
    big = "|".join(pieces)
    upper = big.upper()
    chunks = upper.split("|")
    again = "\n".join(sorted(chunks, key=lambda s: (len(s), s)))
    print(f"strings: {len(big)} chars joined, {len(chunks)} split, "
          f"{hashlib.sha256(again.encode()).hexdigest()[:16]}")


def growing_buffers(target=24 * 1024 * 1024):
    buf = bytearray()
    step = 0
    while len(buf) < target:
        buf += bytes([step % 251]) * (1 + (step * 7919) % 65536)
        step += 1
    view = bytes(buf[::4096])
    print(f"bytearray: {len(buf)} bytes in {step} appends, {hashlib.sha256(view).hexdigest()[:16]}")
    del buf


def nested_structures(n=15_000):
    records = [{"id": i, "name": f"item{i}", "tags": [f"t{i % 7}", f"u{i % 13}"],
                "values": list(range(i % 17))} for i in range(n)]
    text = json.dumps(records, sort_keys=True)
    back = json.loads(text)
    score = sum(len(r["values"]) for r in back)
    print(f"json: {len(text)} chars, {len(back)} records, score {score}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: real_program.py MAPS_OUT")
    dict_churn()
    string_building()
    growing_buffers()
    nested_structures()
    with open("/proc/self/maps", encoding="ascii", errors="replace") as src:
        maps = src.read()
    with open(sys.argv[1], "w", encoding="ascii", errors="replace") as dst:
        dst.write(maps)
    print("done")


if __name__ == "__main__":
    main()
