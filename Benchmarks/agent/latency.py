#!/usr/bin/python3
"""Activation latency: API create -> first mirrored packet at the tool, over many taps.

    latency.py --server URL --token T --tool-netns NS --filter F --target T [--taps 100] [--warmup 2]
               [--timeout 5] [--silence 0.3] [--samples FILE]

Runs in the root namespace (where the server listens) but opens a raw GRE socket (IP protocol 47) inside
the tool's namespace, with kernel receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME). Per tap:
  1. wait until the tool has heard nothing for --silence seconds;
  2. t0 = wall clock just before `POST /api/v1/taps`;
  3. activation = kernel timestamp of the first GRE packet after t0, minus t0;
  4. `POST /api/v1/taps/{id}/stop`, then wait for silence; stop = last packet's timestamp minus the stop
     request's time (how long mirroring went on after the stop was asked for).
Prints the per-tap samples to --samples, and a summary as `key=value` lines on stdout.
"""
import argparse
import ctypes
import http.client
import json
import math
import os
import select
import socket
import struct
import sys
import time
import urllib.parse

SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
CLONE_NEWNET = 0x40000000


def raw_gre_socket_in(netns: str, udp_port=None) -> socket.socket:
    """A raw socket for GRE (or a UDP socket on `udp_port`, for VXLAN) opened inside `netns`; the thread returns
    to its namespace afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns}")
        try:
            if udp_port:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind(("0.0.0.0", udp_port))
            else:
                sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.setblocking(False)
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back home")
    finally:
        os.close(home)
        os.close(target)
    return sock


class Receiver:
    """Reads GRE packets and their kernel timestamps (ns since the epoch)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)

    def next(self, timeout: float):
        """The next packet's timestamp, or None after `timeout` seconds without one."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, ancillary, _, _ = self.sock.recvmsg(2048, 64)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.poller.poll(max(1, int(left * 1000)))
                continue
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", data[:16])
                    return seconds * 1_000_000_000 + nanoseconds
            return time.time_ns()

    def silence(self, quiet: float, limit: float):
        """Waits until nothing arrived for `quiet` seconds; returns the last packet's timestamp (or None)."""
        last = None
        give_up = time.monotonic() + limit
        while time.monotonic() < give_up:
            stamp = self.next(quiet)
            if stamp is None:
                return last
            last = stamp
        raise SystemExit(f"latency: the tool still receives packets after {limit} s")


class API:
    def __init__(self, server: str, token: str):
        url = urllib.parse.urlsplit(server)
        self.host, self.port = url.hostname, url.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection = None

    def post(self, path: str, body: dict):
        data = json.dumps(body).encode()
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request("POST", path, body=data, headers=self.headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
                continue
            if response.status >= 300:
                raise SystemExit(f"latency: POST {path} -> {response.status} {payload.decode(errors='replace')}")
            return json.loads(payload)


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--tool-netns", required=True)
    parser.add_argument("--udp-port", type=int, help="receive VXLAN on this UDP port instead of GRE")
    parser.add_argument("--filter", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--taps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--silence", type=float, default=0.3)
    parser.add_argument("--samples")
    args = parser.parse_args()

    receiver = Receiver(raw_gre_socket_in(args.tool_netns, args.udp_port))
    api = API(args.server, args.token)
    activation, response, stopping, missed = [], [], [], 0
    samples = open(args.samples, "w") if args.samples else None
    if samples:
        samples.write("tap\tactivation_ms\tapi_response_ms\tstop_ms\n")
    for index in range(args.warmup + args.taps):
        receiver.silence(args.silence, 30)
        started = time.time_ns()
        tap = api.post("/api/v1/taps", {"filter": args.filter, "target": args.target, "duration": "10m"})
        answered = time.time_ns()
        first = receiver.next(args.timeout)
        stop_asked = time.time_ns()
        api.post(f"/api/v1/taps/{tap['id']}/stop", {})
        last = receiver.silence(args.silence, 30)
        if index < args.warmup:
            continue
        if first is None:
            missed += 1
            print(f"latency: tap {tap['id']}: no packet within {args.timeout} s", file=sys.stderr)
            continue
        activation.append((first - started) / 1e6)
        response.append((answered - started) / 1e6)
        stopping.append(max(0, ((last or stop_asked) - stop_asked)) / 1e6)
        if samples:
            samples.write(f"{len(activation)}\t{activation[-1]:.3f}\t{response[-1]:.3f}\t{stopping[-1]:.3f}\n")
    if samples:
        samples.close()
    if not activation:
        raise SystemExit("latency: no tap produced a packet")
    print(f"taps={len(activation)}")
    print(f"missed={missed}")
    for name, values in (("activation", activation), ("api", response), ("stop", stopping)):
        print(f"{name}_p50_ms={percentile(values, 0.50):.1f}")
        print(f"{name}_p99_ms={percentile(values, 0.99):.1f}")
        print(f"{name}_max_ms={max(values):.1f}")
        print(f"{name}_min_ms={min(values):.1f}")


if __name__ == "__main__":
    main()
