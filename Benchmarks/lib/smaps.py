#!/usr/bin/python3
"""Where a process's resident memory is: /proc/PID/smaps summed by what each mapping is.

    smaps.py PID [TITLE]

Prints one row per kind of mapping, largest first, with its resident kB (Rss), how much of that is private
and dirty (what the process itself wrote: heap, stacks, relocated data; the rest is clean file pages the kernel
can drop and share), and the number of mappings:

    executable       the process's own binary (its code and read-only data touched so far)
    swift runtime    libswift*.so, libdispatch, libBlocksRuntime
    foundation       libFoundation*.so (and FoundationXML, FoundationNetworking)
    icu              lib_FoundationICU.so and the system's libicu*.so (Unicode and locale data)
    other libraries  every other file-backed mapping of a shared object (libc, libstdc++, libpcap, …)
    capture rings    packet sockets' mmapped rings (libpcap's TPACKET_V3 buffer, `socket:[…]` mappings)
    [heap]           the main arena (brk)
    [stack]          the main thread's stack
    anonymous        every other anonymous mapping: malloc's thread arenas and large blocks, thread stacks,
                     the Swift runtime's metadata and task allocations, gRPC/NIO buffers
    other            the rest ([vvar], [vdso], other files)

The anonymous row is split once more: malloc's thread arenas (their heaps start at multiples of 64 MiB, glibc's
HEAP_MAX_SIZE), thread stacks (read-write right after a no-access guard page), and the rest.
"""
import os
import re
import sys

SWIFT = re.compile(r"/(libswift[^/]*|libdispatch|libBlocksRuntime)[^/]*\.so")
FOUNDATION = re.compile(r"/libFoundation[^/]*\.so")
ICU = re.compile(r"/(lib_FoundationICU|libicu[a-z]*)[^/]*\.so")
HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
ARENA_ALIGNMENT = 64 << 20   # glibc's HEAP_MAX_SIZE on 64-bit: every thread arena's heap starts at a multiple


def classify(path: str, executable: str) -> str:
    """The row a mapping of `path` belongs to."""
    if path == executable:
        return "executable"
    if ICU.search(path):
        return "icu"
    if FOUNDATION.search(path):
        return "foundation"
    if SWIFT.search(path):
        return "swift runtime"
    if path.startswith("socket:"):
        return "capture rings"
    if path in ("[heap]", "[stack]"):
        return path
    if path == "":
        return "anonymous"
    if ".so" in path:
        return "other libraries"
    return "other"


def anonymous_kind(start: int, previous) -> str:
    """What an anonymous read-write mapping at `start` most likely is, given the mapping before it."""
    if start % ARENA_ALIGNMENT == 0:
        return "anonymous: malloc thread arenas"
    if previous and previous[1] == start and previous[2].startswith("---") and previous[1] - previous[0] <= 64 << 10:
        return "anonymous: thread stacks (after a guard page)"
    return "anonymous: other (large mallocs, Swift runtime, ...)"


def main() -> None:
    pid = sys.argv[1]
    title = sys.argv[2] if len(sys.argv) > 2 else f"pid {pid}"
    executable = ""
    try:
        executable = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        pass
    rows: dict = {}
    current = None
    previous = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            match = HEADER.match(line)
            if match:
                start, end, perms = int(match.group(1), 16), int(match.group(2), 16), match.group(3)
                path = match.group(4).strip()
                current = classify(path, executable)
                if current == "anonymous":
                    current = anonymous_kind(start, previous) if not perms.startswith("---") else "anonymous: reserved, no access"
                previous = (start, end, perms)
                rows.setdefault(current, [0, 0, 0])[2] += 1
                continue
            if current is None:
                continue
            field, _, value = line.partition(":")
            if field == "Rss":
                rows[current][0] += int(value.split()[0])
            elif field == "Private_Dirty":
                rows[current][1] += int(value.split()[0])
    total = sum(row[0] for row in rows.values())
    dirty = sum(row[1] for row in rows.values())
    print(f"   smaps of {title}: Rss {total} kB, of which private dirty {dirty} kB")
    print(f"   {'what':<52} {'Rss kB':>8} {'dirty kB':>9} {'maps':>5}")
    for name, (rss, private_dirty, count) in sorted(rows.items(), key=lambda item: -item[1][0]):
        if rss == 0 and name.startswith("anonymous: reserved"):
            continue
        print(f"   {name:<52} {rss:>8} {private_dirty:>9} {count:>5}")


if __name__ == "__main__":
    main()
