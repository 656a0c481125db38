#!/usr/bin/python3
"""Reads one JSON document on stdin and prints what run.sh needs from it.

    tapjson.py field NAME     the top-level field NAME (a token, an id)
    tapjson.py count          how many items a list answer holds
    tapjson.py counters       a tap's per-agent status summed over agents:
                              `STATE PACKETS KERNEL_DROPS CAP_DROPS SEND_DROPS BUFFER_DROPS`
                              (STATE is `none` before any agent reported, else the agents' states joined by `,`)
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
    else:
        raise SystemExit(f"tapjson: unknown mode {mode!r}")


if __name__ == "__main__":
    main()
