#!/usr/bin/python3
"""Counts the packets of a pcapng file per interface, as its blocks state them.

    pcapngcount.py FILE

Prints one line per interface name (`if_name`, else `#<section>.<index>`): `NAME PACKETS`, where PACKETS
counts its Enhanced (and Simple) Packet Blocks over every section; a file that ends mid-block is counted up
to its last whole block and said so on stderr. Reads the file through mmap: one pass, nothing per packet
but an offset.
"""
import mmap
import struct
import sys

SECTION_HEADER, INTERFACE, SIMPLE_PACKET, ENHANCED_PACKET = 0x0A0D0D0A, 1, 3, 6
IF_NAME = 2


def interface_name(data, start: int, end: int, order: str, fallback: str) -> str:
    """The `if_name` option of the IDB whose options run from `start` to `end`."""
    offset = start
    while offset + 4 <= end:
        code, length = struct.unpack_from(order + "HH", data, offset)
        if code == 0:
            break
        if code == IF_NAME:
            return bytes(data[offset + 4:offset + 4 + length]).decode("utf-8", "replace").rstrip("\0")
        offset += 4 + (length + 3) // 4 * 4
    return fallback


def count(path: str) -> dict:
    counts: dict = {}
    with open(path, "rb") as file:
        try:
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return counts
        size, offset, order, section = len(data), 0, "<", -1
        names: list = []
        while offset + 12 <= size:
            kind = struct.unpack_from("<I", data, offset)[0]
            if kind == SECTION_HEADER:
                order = "<" if struct.unpack_from("<I", data, offset + 8)[0] == 0x1A2B3C4D else ">"
                section += 1
                names = []
            length = struct.unpack_from(order + "I", data, offset + 4)[0]
            if length < 12 or offset + length > size:
                print(f"pcapngcount: {path} ends mid-block at byte {offset}", file=sys.stderr)
                break
            if kind == ENHANCED_PACKET:
                interface = struct.unpack_from(order + "I", data, offset + 8)[0]
                name = names[interface] if interface < len(names) else f"#{section}.{interface}"
                counts[name] = counts.get(name, 0) + 1
            elif kind == SIMPLE_PACKET:
                name = names[0] if names else f"#{section}.0"
                counts[name] = counts.get(name, 0) + 1
            elif kind == INTERFACE:
                fallback = f"#{section}.{len(names)}"
                names.append(interface_name(data, offset + 16, offset + length - 4, order, fallback))
                counts.setdefault(names[-1], 0)
            offset += length
        data.close()
    return counts


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for name, packets in sorted(count(sys.argv[1]).items()):
        print(name, packets)


if __name__ == "__main__":
    main()
