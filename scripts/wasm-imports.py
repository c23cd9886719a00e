#!/usr/bin/env python3
"""Print the imports of a WebAssembly module, one `module.name` per line.

Reads the binary format directly (the import section is id 2), so checking
a module needs no extra tool. Exit status 1 if the file is not wasm.
"""
import sys


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def name(data, pos):
    n, pos = leb(data, pos)
    return data[pos:pos + n].decode("utf-8"), pos + n


def imports(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    pos = 8
    while pos < len(data):
        section, pos = data[pos], pos + 1
        size, pos = leb(data, pos)
        end = pos + size
        if section == 2:
            count, pos = leb(data, pos)
            for _ in range(count):
                module, pos = name(data, pos)
                field, pos = name(data, pos)
                yield f"{module}.{field}"
                kind, pos = data[pos], pos + 1
                if kind == 0:  # function: type index
                    _, pos = leb(data, pos)
                elif kind == 1:  # table: reftype + limits
                    pos += 1
                    flags, pos = leb(data, pos)
                    _, pos = leb(data, pos)
                    if flags & 1:
                        _, pos = leb(data, pos)
                elif kind == 2:  # memory: limits
                    flags, pos = leb(data, pos)
                    _, pos = leb(data, pos)
                    if flags & 1:
                        _, pos = leb(data, pos)
                elif kind == 3:  # global: valtype + mutability
                    pos += 2
                else:
                    raise ValueError(f"unknown import kind {kind}")
        pos = end


if __name__ == "__main__":
    try:
        with open(sys.argv[1], "rb") as f:
            for line in imports(f.read()):
                print(line)
    except (ValueError, IndexError) as e:
        print(f"{sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
