#!/usr/bin/env python3
"""Where a wasm module's code bytes go: the largest functions and the
crates they come from, read from the module's `name` section (an unstripped
build). Usage: wasm-sizes.py MODULE.wasm [KEYWORD...] — each keyword also
gets the total size of the functions whose (mangled) names contain it."""
import collections
import re
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def main():
    data = open(sys.argv[1], "rb").read()
    i, sections = 8, []
    while i < len(data):
        sid = data[i]
        n, i = leb(data, i + 1)
        sections.append((sid, i, n))
        i += n
    imported, names, bodies = 0, {}, []
    for sid, off, n in sections:
        if sid == 2:  # imports: function imports take the first indices
            j = off
            count, j = leb(data, j)
            for _ in range(count):
                for _ in range(2):
                    length, j = leb(data, j)
                    j += length
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:  # code
            j = off
            count, j = leb(data, j)
            for _ in range(count):
                length, k = leb(data, j)
                bodies.append(length + (k - j))
                j = k + length
        elif sid == 0:
            length, j = leb(data, off)
            if data[j : j + length] == b"name":
                j += length
                end = off + n
                while j < end:
                    sub = data[j]
                    size, j = leb(data, j + 1)
                    stop = j + size
                    if sub == 1:
                        count, j = leb(data, j)
                        for _ in range(count):
                            idx, j = leb(data, j)
                            length, j = leb(data, j)
                            names[idx] = data[j : j + length].decode("utf8", "replace")
                            j += length
                    j = stop
    print(f"code: {sum(bodies)} bytes in {len(bodies)} functions; module {len(data)} bytes")
    rows = sorted(((size, names.get(k + imported, "?")) for k, size in enumerate(bodies)), reverse=True)
    crates = collections.Counter()
    for size, name in rows:
        # v0 mangling: the first crate name is `<len><name>` after the hash.
        m = re.search(r"Cs[0-9A-Za-z_]+?_(\d+)([a-z_][a-z0-9_]*)", name)
        crates[m.group(2)[: int(m.group(1))] if m else name.split("#")[0][:40]] += size
    print("\nby first crate in the name:")
    for crate, size in crates.most_common(20):
        print(f"{size:9d}  {crate}")
    if sys.argv[2:]:
        print("\nby keyword:")
        for kw in sys.argv[2:]:
            print(f"{sum(s for s, n in rows if kw in n):9d}  {kw}")
    print("\nlargest functions:")
    for size, name in rows[:30]:
        print(f"{size:9d}  {name[:140]}")


if __name__ == "__main__":
    main()
