#!/usr/bin/python3
"""Writes the rate benchmark's traffic: a classic pcap of Ethernet/IPv4/UDP frames of one size.

    pcapgen.py OUTPUT --src-mac M --dst-mac M --src-ip A --dst-ip A [--frame-size 128] [--count 1024]

Frames differ by UDP source port (a thousand flows), so nothing on the path can coalesce them. tcpreplay
loops over the file to send any number of packets.
"""
import argparse
import socket
import struct


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src_mac: bytes, dst_mac: bytes, src_ip: bytes, dst_ip: bytes, sport: int, size: int, ident: int) -> bytes:
    payload_len = size - 14 - 20 - 8
    payload = bytes((ident + i) & 0xFF for i in range(payload_len))
    udp = struct.pack("!HHHH", sport, 9, 8 + payload_len, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0x4000, 64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--src-mac", required=True)
    parser.add_argument("--dst-mac", required=True)
    parser.add_argument("--src-ip", required=True)
    parser.add_argument("--dst-ip", required=True)
    parser.add_argument("--frame-size", type=int, default=128)
    parser.add_argument("--count", type=int, default=1024)
    args = parser.parse_args()
    if not 60 <= args.frame_size <= 1514:
        parser.error("--frame-size must be within 60..1514")
    src_mac = bytes.fromhex(args.src_mac.replace(":", ""))
    dst_mac = bytes.fromhex(args.dst_mac.replace(":", ""))
    src_ip, dst_ip = socket.inet_aton(args.src_ip), socket.inet_aton(args.dst_ip)
    with open(args.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # microseconds, Ethernet
        for i in range(args.count):
            data = frame(src_mac, dst_mac, src_ip, dst_ip, 10000 + i, args.frame_size, i)
            out.write(struct.pack("<IIII", 0, i, len(data), len(data)) + data)


if __name__ == "__main__":
    main()
