#!/usr/bin/python3
"""The frame (async context) size of every Swift async function in a binary, largest first.

    async-frames.py BINARY [REGEX] [COUNT]

Each async function has an "async function pointer" symbol (mangled name ending in `Tu`) that holds two 32-bit
fields: the function's offset relative to the field, and the size of the context its caller allocates for it on
the task's stack allocator. A task keeps the slabs that its deepest chain of such contexts needed until the
task ends, so the functions a long-lived task runs (a connection's handler, its message loop) should have small
ones: what they copy into their frames — a large struct held by value, everything inlined into them — is
paid for every live task for as long as it lives. REGEX filters on the demangled name; COUNT (default 40)
bounds the rows. Needs `nm`, `readelf` and `swift demangle`.

    Benchmarks/lib/async-frames.py .build/release/tapster 'AgentService'
"""
import re
import struct
import subprocess
import sys


def load_segments(binary):
    """(virtual address, file offset, file size) of each LOAD segment."""
    out = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout
    segments = []
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            segments.append((int(fields[2], 16), int(fields[1], 16), int(fields[4], 16)))
    return segments


def file_offset(segments, address):
    for virtual, offset, size in segments:
        if virtual <= address < virtual + size:
            return address - virtual + offset
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    pattern = re.compile(sys.argv[2]) if len(sys.argv) > 2 else None
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    segments = load_segments(binary)
    symbols = []
    for line in subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2].endswith("Tu"):
            symbols.append((int(fields[0], 16), fields[2]))
    demangled = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(s for _, s in symbols),
                               capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    with open(binary, "rb") as file:
        for (address, _), name in zip(symbols, demangled):
            name = name.replace("async function pointer to ", "")
            if pattern and not pattern.search(name):
                continue
            offset = file_offset(segments, address)
            if offset is None:
                continue
            file.seek(offset + 4)
            rows.append((struct.unpack("<I", file.read(4))[0], name))
    for size, name in sorted(rows, reverse=True)[:count]:
        print(f"{size:8d}  {name}")


if __name__ == "__main__":
    main()
