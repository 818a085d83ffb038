"""Render a results JSON into docs/benchmarks.md, between its results markers (the prose stays)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
PEERS = ["F1", "F3", "N0"]


LATENCY_HEADERS = [
    "messages", "delivery p50 ms", "delivery p99 ms", "ack p50 ms", "ack p99 ms",
    "lost", "dup", "out of order", "server CPU %",
]  # fmt: skip


def latency_cells(x: dict) -> list:
    """One run's latency row: messages, delivery and ack percentiles, correctness, CPU."""
    return [
        x["sent"], x["delivery_ms"]["p50"], x["delivery_ms"]["p99"], x["ack_ms"]["p50"], x["ack_ms"]["p99"],
        x["lost"], x["duplicated"], x["out_of_order"], x["cpu_pct"],
    ]  # fmt: skip


def f(v: Any, nd: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    return f"{a / b:.2f}×"


def table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(f(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render(rec: dict, json_path: str) -> str:
    r = rec.get("results", {})
    m, v = rec["machine"], rec["versions"]
    parts = [
        f"_Run {rec['started']} → {rec.get('finished', '?')}, size **{rec['size']}**, raw JSON `{json_path}`._\n",
        f"Command: `{rec['command']}` (from the repository root, with `.venv/bin/python`).\n",
        f"Machine: nproc={m['nproc']}, CPU `{m['cpu']}`, kernel {m['kernel']}, load average at start "
        f"{m['loadavg_at_start']}; servers pinned to CPU {m['server_cpus']} (taskset: {m['taskset']}), generator "
        f"to CPU {m['generator_cpus']}. PostgreSQL and Redis are not pinned.\n",
        f"Server measured: `{rec.get('server_dir', '?')}` ({rec.get('server_snapshot', 'working tree')}).\n",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".\n",
    ]
    if rec.get("errors"):
        parts.append("Errors during the run: " + "; ".join(f"`{k}`: {e}" for k, e in rec["errors"].items()) + "\n")

    if "1" in r:
        rows = [[name, *latency_cells(res)] for name, res in r["1"].items()]
        parts.append("### Scenario 1: one chat, one message in flight (target p99 ≤ 5 ms)\n")
        parts.append(table(["target", *LATENCY_HEADERS], rows))
        parts.append(_ratios(r["1"], lambda x: x["delivery_ms"]["p99"], "delivery p99", lower_better=True))

    if "2" in r:
        rows = []
        for name, res in r["2"].items():
            for n, x in res.items():
                if not isinstance(x, dict):
                    continue
                rows.append([name, n, *latency_cells(x), x["rss_mib"]])
        parts.append(
            "\n### Scenario 2: concurrent chats at human rate, 0.2 msg/s per side "
            "(target p99 ≤ 50 ms at 1,000 chats, 0 lost/dup/out of order)\n"
        )
        parts.append(table(["target", "chats", *LATENCY_HEADERS, "server RSS MiB"], rows))

    if "3" in r:
        parts.append(
            "\n### Scenario 3: throughput steps (target ≥ 2,000 persisted msg/s at p99 ≤ 100 ms, ≥ 8× N0, ≥ ½ F3)\n"
        )
        rows = []
        for name, res in r["3"].items():
            for s in res["steps"]:
                rows.append(
                    [
                        name,
                        s["offered_per_s"],
                        s["achieved_per_s"],
                        s["delivery_ms"]["p50"],
                        s["delivery_ms"]["p99"],
                        s["ack_ms"]["p99"],
                        s["lost"],
                        s["duplicated"],
                        s["out_of_order"],
                        s["cpu_pct"],
                        round(s["cpu_pct"] * 10 / s["achieved_per_s"], 2) if s["achieved_per_s"] else None,
                        s["send_lag_ms"]["p99"],
                        "yes" if s["within_target"] else "**no**",
                        "yes" if s.get("sustained", s["within_target"]) else "**no**",
                    ]
                )
        parts.append(
            table(
                [
                    "target",
                    "offered msg/s",
                    "delivered msg/s",
                    "delivery p50 ms",
                    "delivery p99 ms",
                    "ack p99 ms",
                    "lost",
                    "dup",
                    "out of order",
                    "server CPU %",
                    "server CPU ms/msg",
                    "generator lag p99 ms",
                    "within p99 ≤ 100 ms",
                    "kept up (p99 ≤ 1 s)",
                ],
                rows,
            )
        )
        best = {name: res["max_rate_within_p99_100ms"] for name, res in r["3"].items()}
        parts.append(
            "\nHighest step within p99 ≤ 100 ms and nothing lost: "
            + ", ".join(f"{k} **{val}** msg/s" for k, val in best.items())
            + "."
        )
        kept = {name: res.get("max_rate_sustained") for name, res in r["3"].items()}
        parts.append(
            "Highest step kept up with (p99 ≤ 1 s, ≥ 95 % delivered in the step, nothing lost): "
            + ", ".join(f"{k} **{val}** msg/s" for k, val in kept.items())
            + "."
        )
        if "ours" in kept:
            parts.append(
                "Ours ÷ peers (kept-up rate): "
                + ", ".join(f"÷{p} {ratio(kept['ours'], kept.get(p))}" for p in PEERS if p in kept)
                + ".\n"
            )

    if "4" in r:
        rows = []
        for name, x in r["4"].items():
            rows.append(
                [
                    name,
                    x["sockets"],
                    x["kib_per_connection"],
                    x["rss_before_mib"],
                    x["rss_after_mib"],
                    x["idle_cpu_pct"],
                    x["storm"],
                    x["storm_p50_s"],
                    x["storm_all_resumed_s"],
                    x["storm_failed"],
                ]
            )
        parts.append(
            "\n### Scenario 4: idle sockets and a reconnect storm (target ≤ 30 KiB/connection, idle CPU "
            "< 5 %, storm resumed ≤ 30 s)\n"
        )
        parts.append(
            table(
                [
                    "target",
                    "idle sockets",
                    "KiB/connection",
                    "RSS before MiB",
                    "RSS after MiB",
                    "idle CPU %",
                    "storm size",
                    "storm p50 s",
                    "all resumed s",
                    "failed",
                ],
                rows,
            )
        )
        parts.append(
            "\nOurs resumes with `?after=SEQ` and counts a socket as resumed at its `chat.state`; "
            "the peers count the open handshake (they have nothing to resume).\n"
        )

    if "5" in r:
        parts.append(render_s5(r["5"]))

    if "6" in r:
        rows = []
        for name, x in r["6"].items():
            rows.append(
                [
                    name,
                    x["watchers"],
                    x["complete_trials"],
                    x["to_first_ms"]["p50"],
                    x["to_last_ms"]["p50"],
                    x["to_last_ms"]["max"],
                    x["cpu_pct"],
                ]
            )
        parts.append("\n### Scenario 6: fan-out to agent sockets (target ≤ 25 ms to the last of 1,000)\n")
        parts.append(
            table(
                [
                    "target",
                    "watchers",
                    "complete trials",
                    "to first p50 ms",
                    "to last p50 ms",
                    "to last max ms",
                    "server CPU %",
                ],
                rows,
            )
        )
        parts.append(
            "\nOurs: from sending `POST /api/chats/` to the last console's `queue` frame listing the new "
            "chat (includes the HTTP request, the INSERT and the queue read). Peers: one message into a "
            "room of that many sockets.\n"
        )

    if "7" in r:
        from bench.floor_load import render as render_floor

        parts.append(render_floor(r["7"]))

    prof = rec.get("profile_s3_ours")
    if prof:
        parts.append(
            f"\n### Profile of our server under scenario 3 (py-spy, {prof['samples']} samples, active threads only)\n"
        )
        parts.append(table(["where (inclusive)", "% of samples"], prof["buckets_inclusive_pct"]))
        parts.append("\n" + table(["function (self time)", "%"], prof["top_self_pct"][:15]))
    return "\n".join(parts) + "\n"


def _ratios(res: dict, key, label: str, lower_better: bool) -> str:
    ours = res.get("ours")
    if not ours or key(ours) is None:
        return ""
    bits = []
    for p in PEERS:
        if p in res and key(res[p]):
            bits.append(f"{p} {key(ours) / key(res[p]):.2f}×")
    return f"\nOurs ÷ peer ({label}{', lower is better' if lower_better else ''}): " + ", ".join(bits) + ".\n"


def markers(block: str = "") -> tuple[str, str]:
    """The comments around a results block: the run's own (unnamed) or a named one (`--block`)."""
    if not block:
        return BEGIN, END
    return f"<!-- results:{block}:begin -->", f"<!-- results:{block}:end -->"


def render_s5(results: dict) -> str:
    """Scenario 5 (bench/claims.py): routed and racing rounds per agent count, then the closing check."""
    rows, closings = [], {}
    for name, res in results.items():
        for k, x in res.items():
            if k == "console_closing":
                closings[name] = x
                continue
            for mode in ("routed", "racing"):
                y = x.get(mode) if isinstance(x, dict) else None
                if not y:
                    continue
                lat = y.get("request_to_assigned_ms") or y.get("claim_ms") or {}
                rows.append(
                    [
                        name,
                        k,
                        mode,
                        y.get("rate", "–"),
                        y["chats"],
                        y["claimed"],
                        y["double_claims"],
                        y["claims_per_s"],
                        y.get("already_taken_answers", "–"),
                        lat.get("p50"),
                        lat.get("p99"),
                        (y.get("server_request_to_delivered_ms") or {}).get("p99", "–"),
                        y["cpu_pct"],
                    ]
                )
    out = [
        "\n### Scenario 5: the queue at 10 / 50 / 200 agents (target every chat claimed, 0 double claims,"
        " claim p99 ≤ 20 ms at 200 agents)\n",
        "No peer has a queue; ours only. *routed*: consoles available, the server pushes each chat to one agent"
        " (client-seen: `POST /api/chats/` sent → the console's `assigned`; server request→delivered: the"
        " chat's `requested_at` → its first `agent_joined` event, both stamped by the server)."
        " *racing*: consoles away, each races `accept` on one of the first three listed chats"
        " (client-seen: `accept` sent → `assigned` or `already_taken`).\n",
        table(
            [
                "target",
                "agents",
                "round",
                "offered chats/s",
                "chats",
                "claimed",
                "double claims",
                "claims/s",
                "already_taken answers",
                "client-seen p50 ms",
                "client-seen p99 ms",
                "server request→delivered p99 ms",
                "server CPU %",
            ],
            rows,
        ),
    ]
    for name, closing in closings.items():
        out.append(
            f"\nConsole closing on {name} ({closing['consoles']} consoles, one closed,"
            f" {closing['chats_after_close']} chats after): offers to the closed console"
            f" {closing['offers_to_the_closed_console']}, claimed by the"
            f" others {closing['claimed_by_the_others']}; reopened after {closing['reopened_after_s']} s: same chats"
            f" {'yes' if closing['same_chats_after_reload'] else 'NO'}, status {closing['status_after_reload']}.\n"
        )
    return "\n".join(out)


def write_report(rec: dict, json_path: Path, block: str = "") -> None:
    rel = json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path
    rel = Path(str(rel).replace(str(ROOT) + "/", ""))
    begin, end = markers(block)
    rendered = f"{begin}\n{render(rec, str(rel))}{end}"
    DOC.parent.mkdir(exist_ok=True)
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + rendered + tail
    else:
        text += "\n" + rendered + "\n"
    DOC.write_text(text)


def merge(paths: list[Path]) -> dict:
    """Several runs as one record: later runs replace earlier ones target by target."""
    records = [json.loads(p.read_text()) for p in paths]
    merged = dict(records[-1])
    merged["results"], merged["errors"] = {}, {}
    for rec in records:
        for scen, by_target in rec.get("results", {}).items():
            merged["results"].setdefault(scen, {}).update(by_target)
        merged["errors"] = {
            k: v for k, v in merged["errors"].items() if k.split("/")[1] not in rec["results"].get(k.split("/")[0], {})
        }
        merged["errors"].update(rec.get("errors", {}))
        if rec.get("profile_s3_ours"):
            merged["profile_s3_ours"] = rec["profile_s3_ours"]
    if len(records) > 1:
        merged["command"] = " ; ".join(
            f"{r['command']} (scenarios {','.join(r['results'])}, {r['started']})" for r in records
        )
        merged["started"] = records[0]["started"]
    return merged


if __name__ == "__main__":
    # python -m bench.report [--block NAME] A.json [B.json ...]: render (merged) runs into
    # docs/benchmarks.md, into the block between `<!-- results[:NAME]:begin/end -->`.
    args = sys.argv[1:]
    name = ""
    if args[:1] == ["--block"]:
        name, args = args[1], args[2:]
    paths = [Path(a).resolve() for a in args]
    write_report(merge(paths), paths[-1] if len(paths) == 1 else Path(", ".join(str(p) for p in paths)), name)
