#!/usr/bin/python3
"""Reads one `tapster … -o json` document on stdin and prints what run.sh needs from a capture or its tap.

    capjson.py live-id          `capture list -o json`: the id of the newest live capture (nothing when none)
    capjson.py applied N        `tap get ID -o json`: exits 0 when at least N agents report `applied`;
                                prints the agents' states either way
    capjson.py packets          `capture get ID -o json`: packets written so far
    capjson.py agents           `capture get ID -o json` and `tap get ID -o json`, one after the other on
                                stdin: one line per agent, sorted by name:
                                `AGENT RECEIVED PACKETS KERNEL AGENT SERVER TAP_KERNEL TAP_CAP TAP_SEND TAP_BUFFER`
                                (the capture's per-interface counters summed per agent, then the tap's
                                drops by cause for that agent)
"""
import json
import sys


def documents(text: str) -> list:
    """Every JSON document in `text`, one after the other."""
    decoder, found, index = json.JSONDecoder(), [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return found
        document, index = decoder.raw_decode(text, index)
        found.append(document)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    parsed = documents(sys.stdin.read())
    if mode == "live-id":
        live = [item for item in parsed[0].get("items", []) if item.get("state") == "live"]
        live.sort(key=lambda item: item.get("created_at", ""))
        if live:
            print(live[-1]["id"])
    elif mode == "applied":
        agents = parsed[0].get("agents") or []
        states = [f"{agent.get('agent')}={agent.get('state')}" for agent in agents]
        print(" ".join(states) or "none")
        applied = sum(1 for agent in agents if agent.get("state") == "applied")
        raise SystemExit(0 if applied >= int(sys.argv[2]) else 1)
    elif mode == "packets":
        print(parsed[0].get("packets", 0))
    elif mode == "agents":
        capture, tap = parsed[0], parsed[1]
        rows: dict = {}
        for interface in capture.get("interfaces") or []:
            row = rows.setdefault(interface["agent"], [0] * 9)
            for index, key in enumerate(("received", "packets", "kernel_drops", "agent_drops", "server_drops")):
                row[index] += interface.get(key, 0)
        for agent in tap.get("agents") or []:
            row = rows.setdefault(agent["agent"], [0] * 9)
            causes = agent.get("drops_by_cause") or {}
            for index, cause in enumerate(("kernel", "cap", "send", "buffer"), start=5):
                row[index] += causes.get(cause, 0)
        for name in sorted(rows):
            print(name, *rows[name])
    else:
        raise SystemExit(f"capjson: unknown mode {mode!r}")


if __name__ == "__main__":
    main()
