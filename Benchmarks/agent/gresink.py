#!/usr/bin/python3
"""The tool's cheapest GRE receiver, run inside the tool's namespace until killed: a raw socket for IP protocol
47 with a drop-all classic BPF filter — or, with `--udp-port PORT`, a UDP socket on that port (VXLAN) with the same
filter.

Without any GRE receiver the tool's kernel answers every mirrored packet with an ICMP "protocol unreachable"
attempt (route lookup, then rate limiting) — and because veth delivers in the sender's context, that work
would be charged to the agent's CPU. With this socket the packets are counted (`rx_packets`) and dropped.
"""
import argparse
import ctypes
import signal
import socket

SO_ATTACH_FILTER = 26


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--udp-port", type=int)
    args = parser.parse_args()
    if args.udp_port:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", args.udp_port))
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    program = (SockFilter * 1)(SockFilter(0x06, 0, 0, 0))  # BPF_RET | BPF_K, 0: keep nothing
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(SockFprog(1, program)))
    signal.signal(signal.SIGTERM, lambda *_: exit(0))
    signal.pause()


if __name__ == "__main__":
    main()
