"""Decide what a `pip-audit --format json` report means for CI: clean, vulnerable, or unknown.

pip-audit exits 0 when it could not audit anything (every dependency skipped because the
vulnerability service was unreachable), which would make CI green without checking a thing. This
module reads the report and says which of three cases it is:

- ``vulnerable`` (exit 1): at least one dependency has a known vulnerability.
- ``clean`` (exit 0): at least one dependency was audited and none has a known vulnerability.
- ``unreachable`` (exit 2): nothing was audited because the service could not be reached (every
  dependency skipped, or pip-audit died of a connection error). ``scripts/audit.sh`` says so
  plainly and exits 0: it cannot know.
- ``error`` (exit 3): pip-audit produced no report for another reason (a usage error, a crash):
  the audit itself is broken and CI must not pass silently.

Usage: ``python scripts/audit_decide.py REPORT.json [STDERR.txt]`` (``-`` for stdin).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

CLEAN, VULNERABLE, UNREACHABLE, ERROR = "clean", "vulnerable", "unreachable", "error"
EXIT_CODES = {CLEAN: 0, VULNERABLE: 1, UNREACHABLE: 2, ERROR: 3}
# What pip-audit's stderr says when the vulnerability service cannot be reached at all.
NETWORK_FAILURES = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "timed out",
    "Connection refused",
    "Network is unreachable",
)


@dataclass
class Decision:
    status: str
    findings: list[str] = field(default_factory=list)  # "name version: ID (fix: x.y)" per vulnerability
    audited: int = 0
    skipped: list[str] = field(default_factory=list)  # "name: reason"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def summary(self) -> str:
        if self.status == VULNERABLE:
            head = f"pip-audit: {len(self.findings)} known vulnerabilit{'y' if len(self.findings) == 1 else 'ies'}:"
            return "\n".join([head, *(f"  {line}" for line in self.findings)])
        if self.status == UNREACHABLE:
            reason = self.skipped[0] if self.skipped else "no report"
            return (
                "pip-audit: the vulnerability service is UNREACHABLE; no dependency could be audited "
                f"({len(self.skipped)} skipped, e.g. {reason}). This run proves nothing either way."
            )
        if self.status == ERROR:
            return "pip-audit: produced no report (not a network failure): " + "; ".join(self.skipped)
        text = f"pip-audit: {self.audited} dependencies audited, no known vulnerabilities."
        if self.skipped:
            text += f" Skipped {len(self.skipped)}: " + "; ".join(self.skipped)
        return text


def describe(dep: dict[str, Any], vuln: dict[str, Any]) -> str:
    fixes = ", ".join(str(v) for v in vuln.get("fix_versions") or []) or "none yet"
    aliases = [str(a) for a in vuln.get("aliases") or []]
    ident = str(vuln.get("id", "?")) + (f" ({', '.join(aliases)})" if aliases else "")
    return f"{dep.get('name', '?')} {dep.get('version', '?')}: {ident}; fixed in {fixes}"


def decide(report: Any) -> Decision:
    """The decision for one parsed pip-audit JSON report (any shape: unknown shapes are unreachable)."""
    deps = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(deps, list):
        return Decision(UNREACHABLE, skipped=["the report has no 'dependencies' list"])
    findings, skipped, audited = [], [], 0
    for dep in deps:
        if not isinstance(dep, dict):
            continue
        if dep.get("skip_reason"):
            skipped.append(f"{dep.get('name', '?')}: {dep['skip_reason']}")
            continue
        audited += 1
        findings += [describe(dep, v) for v in dep.get("vulns") or [] if isinstance(v, dict)]
    if findings:
        return Decision(VULNERABLE, findings, audited, skipped)
    if audited == 0:
        return Decision(UNREACHABLE, [], 0, skipped)
    return Decision(CLEAN, [], audited, skipped)


def decide_run(stdout: str, stderr: str = "") -> Decision:
    """The decision for one pip-audit run: its stdout (the JSON report, if any) and its stderr."""
    start = stdout.find("{")
    try:
        report = json.loads(stdout[start:]) if start >= 0 else None
    except ValueError:
        report = None
    if report is not None:
        return decide(report)
    if any(marker in stderr for marker in NETWORK_FAILURES):
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return Decision(UNREACHABLE, skipped=[lines[-1][:300] if lines else "connection error"])
    tail = stderr.strip().splitlines()[-3:] or ["no output at all"]
    return Decision(ERROR, skipped=[line[:300] for line in tail])


def read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return EXIT_CODES[ERROR]
    decision = decide_run(read(argv[1]), read(argv[2]) if len(argv) == 3 else "")
    print(decision.summary())
    return decision.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
