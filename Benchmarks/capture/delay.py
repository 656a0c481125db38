#!/usr/bin/python3
"""How long after capture each packet reaches this reader.

Reads a live pcapng or pcap stream on standard input (`tapster capture -w -`, `tcpdump -U -w -`) and notes, for
every packet as its record arrives, the wall clock minus the packet's capture timestamp (both CLOCK_REALTIME on
this machine). At the end of the stream it prints one line per interface and one for all:

    delay <interface|all> packets N p50 X ms p99 Y ms max Z ms

Records from before `--after` (a Unix time in seconds) are read but not counted: the set-up's packets.
"""
import argparse
import struct
import sys
import time


def read_exact(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.read(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def percentile(values, q):
    return values[min(len(values) - 1, int(q * len(values)))]


def report(delays):
    lines = []
    everything = sorted(d for values in delays.values() for d in values)
    for name, values in sorted(delays.items()) + [("all", everything)]:
        values = sorted(values)
        if not values:
            continue
        lines.append(f"delay {name} packets {len(values)} p50 {percentile(values, 0.5) / 1e6:.1f} ms "
                     f"p99 {percentile(values, 0.99) / 1e6:.1f} ms max {values[-1] / 1e6:.1f} ms")
    return lines


def pcap(stream, first, delays, after_ns):
    magic = struct.unpack("<I", first)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(endian + "I", first)[0]
    scale = 1 if magic == 0xA1B23C4D else 1000
    if read_exact(stream, 20) is None:
        return
    while True:
        header = read_exact(stream, 16)
        if header is None:
            return
        now = time.time_ns()
        seconds, fraction, caplen, _ = struct.unpack(endian + "IIII", header)
        if read_exact(stream, caplen) is None:
            return
        stamp = seconds * 1_000_000_000 + fraction * scale
        if stamp >= after_ns:
            delays.setdefault("eth0", []).append(now - stamp)


def pcapng(stream, first, delays, after_ns):
    endian = "<"
    interfaces = []  # (name, nanoseconds per unit)
    pending = first
    while True:
        head = pending if pending is not None else read_exact(stream, 8)
        pending = None
        if head is None:
            return
        block_type = struct.unpack(endian + "I", head[:4])[0]
        if block_type == 0x0A0D0D0A:
            byte_order = read_exact(stream, 4)
            endian = "<" if byte_order == b"\x4d\x3c\x2b\x1a" else ">"
            length = struct.unpack(endian + "I", head[4:8])[0]
            if read_exact(stream, length - 12) is None:
                return
            interfaces = []
            continue
        length = struct.unpack(endian + "I", head[4:8])[0]
        body = read_exact(stream, length - 8)
        if body is None:
            return
        now = time.time_ns()
        if block_type == 1:
            interfaces.append(interface(body, endian))
        elif block_type == 6:
            interface_id, high, low = struct.unpack(endian + "III", body[:12])
            name, unit = interfaces[interface_id] if interface_id < len(interfaces) else (f"#{interface_id}", 1000)
            stamp = int(((high << 32) | low) * unit)
            if stamp >= after_ns:
                delays.setdefault(name, []).append(now - stamp)


def interface(body, endian):
    """The IDB's name and its timestamp unit in nanoseconds (if_tsresol; microseconds by default)."""
    name, unit = "", 1000.0
    offset = 8
    while offset + 4 <= len(body) - 4:
        code, length = struct.unpack(endian + "HH", body[offset:offset + 4])
        value = body[offset + 4:offset + 4 + length]
        if code == 0:
            break
        if code == 2:
            name = value.rstrip(b"\0").decode("utf-8", "replace")
        elif code == 9 and value:
            resolution = value[0]
            unit = 1e9 / (2 ** (resolution & 0x7F) if resolution & 0x80 else 10 ** resolution)
        offset += 4 + length + (-length % 4)
    return name, unit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=float, default=0.0, help="count packets captured at or after this Unix time")
    parser.add_argument("--output", help="also write the lines to this file")
    arguments = parser.parse_args()
    stream = sys.stdin.buffer
    delays = {}
    after_ns = int(arguments.after * 1e9)
    first = read_exact(stream, 4)
    if first is not None:
        if struct.unpack("<I", first)[0] == 0x0A0D0D0A:
            rest = read_exact(stream, 4)
            if rest is not None:
                pcapng(stream, first + rest, delays, after_ns)
        else:
            pcap(stream, first, delays, after_ns)
    lines = report(delays)
    if arguments.output:
        with open(arguments.output, "w") as output:
            output.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
