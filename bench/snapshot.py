"""Export a commit of the server to a directory to benchmark it apart from a working tree in flux.

    python -m bench.snapshot --out /tmp/cc-head [--rev HEAD] [--pg-lock-fix]
    python -m bench.run --quick --server-dir /tmp/cc-head

`--pg-lock-fix` applies, to the copy only, the one-line change the chat core needed on
PostgreSQL up to d9d77bf (fixed in the repository by 1b336ce): `select_for_update()` combined
with `select_related("agent")` (a nullable foreign key, so a LEFT OUTER JOIN) fails with
"FOR UPDATE cannot be applied to the nullable side of an outer join";
`select_for_update(of=("self",))` locks only the chat row, as intended.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--pg-lock-fix", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = subprocess.run(["git", "archive", args.rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(out, filter="data")
    rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=ROOT, capture_output=True, text=True).stdout
    note = f"rev {rev.strip()}"
    if args.pg_lock_fix:
        path = out / "chats" / "transcript.py"
        text = path.read_text()
        fixed = re.sub(
            r"select_for_update\(\)(\.[^\n]*select_related\(\"agent\"\))", r'select_for_update(of=("self",))\1', text
        )
        path.write_text(fixed)
        note += " + pg-lock-fix applied" if fixed != text else " (pg-lock-fix not needed: already locked of self)"
    (out / "BENCH-SNAPSHOT").write_text(note + "\n")
    print(f"{out}: {note}")


if __name__ == "__main__":
    main()
