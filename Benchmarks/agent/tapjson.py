#!/usr/bin/python3
"""Reads one JSON document on stdin and prints what run.sh needs from it.

    tapjson.py field NAME     the top-level field NAME (a token, an id)
    tapjson.py count          how many items a list answer holds
    tapjson.py counters       a tap's per-agent status summed over agents:
                              `STATE PACKETS KERNEL_DROPS CAP_DROPS SEND_DROPS BUFFER_DROPS`
                              (STATE is `none` before any agent reported, else the agents' states joined by `,`)
    tapjson.py flowdrops      a flows tap's `FLOWS_DROPPED HTTP_UNPARSED`, summed over its agents
    tapjson.py flowpackets TAP
                              a `GET /api/v1/flows` answer: `RECORDS PACKETS LIVE` of the records whose
                              flow.tap_id is TAP — how many, the packets they count (to_server + to_client), and
                              how many still say `live` (0 once the stopped tap's last records arrived)
    tapjson.py recorder       a `GET /api/v1/recorders/{ref}` answer, its hosts summed: `HOSTS SOURCES CAPTURED
                              KERNEL_DROPS EVICTED EXPIRED PACKETS_HELD BYTES_HELD BYTES_RESERVED FAILURES`
"""
import json
import sys


def main() -> None:
    document = json.load(sys.stdin)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "field":
        print(document[sys.argv[2]])
    elif mode == "count":
        print(len(document.get("items", [])))
    elif mode == "counters":
        agents = document.get("agents") or []
        states = ",".join(sorted({agent.get("state", "?") for agent in agents})) or "none"
        totals = [0, 0, 0, 0, 0]
        for agent in agents:
            causes = agent.get("drops_by_cause") or {}
            totals[0] += agent.get("packets", 0)
            for index, cause in enumerate(("kernel", "cap", "send", "buffer"), start=1):
                totals[index] += causes.get(cause, 0)
        print(states, *totals)
    elif mode == "flowdrops":
        agents = document.get("agents") or []
        print(sum(agent.get("flows_dropped") or 0 for agent in agents),
              sum(agent.get("http_unparsed") or 0 for agent in agents))
    elif mode == "flowpackets":
        records = packets = live = 0
        for item in document.get("items", []):
            flow = item.get("flow") or {}
            if flow.get("tap_id") != sys.argv[2]:
                continue
            records += 1
            packets += (flow.get("to_server") or {}).get("packets", 0) + (flow.get("to_client") or {}).get("packets", 0)
            live += flow.get("end") == "live"
        print(records, packets, live)
    elif mode == "recorder":
        hosts = document.get("hosts") or []
        fields = ("sources", "captured", "kernel_drops", "evicted", "expired", "packets_held", "bytes_held", "bytes_reserved")
        print(len(hosts), *(sum(host.get(field) or 0 for host in hosts) for field in fields),
              sum(len(host.get("failures") or []) for host in hosts))
    else:
        raise SystemExit(f"tapjson: unknown mode {mode!r}")


if __name__ == "__main__":
    main()
