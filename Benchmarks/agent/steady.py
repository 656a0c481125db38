#!/usr/bin/python3
"""Steady UDP traffic for the activation-latency benchmark: `pps` datagrams per second to HOST:PORT until
killed, paced against the monotonic clock (a late wake-up sends what is due, so the average rate holds).

    steady.py HOST [--port 9] [--pps 2000] [--size 100]
"""
import argparse
import socket
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("--port", type=int, default=9)
    parser.add_argument("--pps", type=float, default=2000)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"t" * args.size
    interval = 1.0 / args.pps
    start = time.monotonic()
    sent = 0
    while True:
        due = int((time.monotonic() - start) / interval) + 1
        while sent < due:
            try:
                sock.sendto(payload, (args.host, args.port))
            except OSError:
                pass  # ICMP errors from the neighbour surface here; keep the pace
            sent += 1
        time.sleep(max(0.0, start + sent * interval - time.monotonic()))


if __name__ == "__main__":
    main()
