"""scripts/audit.sh's decision: a known vulnerability fails CI; an unreachable service is said, not hidden."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import audit_decide  # noqa: E402

# The shapes pip-audit 2.x writes with --format json.
VULNERABLE_REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [
            {"id": "PYSEC-2025-13", "fix_versions": ["5.2.1", "5.1.9"], "aliases": ["CVE-2025-32873"],
             "description": "Denial of service in strip_tags()."},
        ]},
        {"name": "channels", "version": "4.3.2", "vulns": []},
        {"name": "clickchat", "skip_reason": "Dependency not found on PyPI and could not be audited: x (0.1.0)"},
    ],
    "fixes": [],
}  # fmt: skip
CLEAN_REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {"name": "channels", "version": "4.3.2", "vulns": []},
    ],
    "fixes": [],
}
ALL_SKIPPED_REPORT = {  # what this machine produces: PyPI's per-version JSON is not reachable
    "dependencies": [
        {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)"}
        for name in ("anyio", "asgiref", "django")
    ],
    "fixes": [],
}
OSV_DNS_FAILURE = (
    "Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: HTTPSConnectionPool("
    "host='api.osv.dev', port=443): Max retries exceeded with url: /v1/query (Caused by NameResolutionError(...))\n"
)


def test_a_known_vulnerability_is_a_failure():
    """Any dependency with a vuln: exit 1, and the summary names the package, id and fix."""
    decision = audit_decide.decide(VULNERABLE_REPORT)
    assert decision.status == "vulnerable" and decision.exit_code == 1
    assert "django 5.2.0: PYSEC-2025-13 (CVE-2025-32873); fixed in 5.2.1, 5.1.9" in decision.summary()


def test_a_clean_audit_passes():
    decision = audit_decide.decide(CLEAN_REPORT)
    assert (decision.status, decision.exit_code, decision.audited) == ("clean", 0, 2)


def test_every_dependency_skipped_means_the_service_was_unreachable():
    """pip-audit exits 0 here; we say UNREACHABLE instead of 'no known vulnerabilities'."""
    decision = audit_decide.decide(ALL_SKIPPED_REPORT)
    assert decision.status == "unreachable" and decision.exit_code == 2
    assert "UNREACHABLE" in decision.summary() and "no known" not in decision.summary()


def test_a_vulnerability_wins_even_when_other_packages_were_skipped():
    report = {"dependencies": [*ALL_SKIPPED_REPORT["dependencies"], *VULNERABLE_REPORT["dependencies"][:1]]}
    assert audit_decide.decide(report).status == "vulnerable"


@pytest.mark.parametrize("report", [None, [], {}, {"dependencies": "x"}, {"dependencies": []}, 42])
def test_odd_reports_are_never_clean(report):
    assert audit_decide.decide(report).status == "unreachable"


def test_a_connection_error_without_a_report_is_unreachable():
    assert audit_decide.decide_run("", OSV_DNS_FAILURE).status == "unreachable"


def test_a_crash_that_is_not_the_network_is_an_error():
    decision = audit_decide.decide_run("", "ERROR: Cannot combine '--path' with '--user' or '--local'\n")
    assert decision.status == "error" and decision.exit_code == 3


def test_report_after_warnings_on_stdout_is_still_read():
    stdout = "WARNING: something\n" + json.dumps(VULNERABLE_REPORT)
    assert audit_decide.decide_run(stdout).status == "vulnerable"


def fake_pip_audit(tmp_path: Path, stdout: str, stderr: str = "", code: int = 0) -> Path:
    (tmp_path / "out.txt").write_text(stdout)
    (tmp_path / "err.txt").write_text(stderr)
    script = tmp_path / "pip-audit"
    script.write_text(f'#!/bin/sh\ncat "{tmp_path}/out.txt"\ncat "{tmp_path}/err.txt" >&2\nexit {code}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def run_audit(tmp_path: Path, stdout: str, stderr: str = "", code: int = 0, **env: str):
    fake = fake_pip_audit(tmp_path, stdout, stderr, code)
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "audit.sh")],
        env={**os.environ, "PIP_AUDIT": str(fake), "PYTHON": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "stdout, stderr, code, expected",
    [
        (json.dumps(VULNERABLE_REPORT), "", 1, 1),
        (json.dumps(CLEAN_REPORT), "", 0, 0),
        (json.dumps(ALL_SKIPPED_REPORT), "", 0, 0),
        ("", OSV_DNS_FAILURE, 1, 0),
        ("", "usage: pip-audit ...\nerror: unrecognized arguments\n", 2, 2),
    ],
    ids=["vulnerable", "clean", "all-skipped", "dns-failure", "usage-error"],
)
def test_audit_sh_exit_codes(tmp_path, stdout, stderr, code, expected):
    """The whole script with a stand-in pip-audit: 1 on a finding, 0 (said loudly) when unreachable."""
    done = run_audit(tmp_path, stdout, stderr, code)
    assert done.returncode == expected, done.stdout + done.stderr
    if stdout == json.dumps(ALL_SKIPPED_REPORT) or stderr == OSV_DNS_FAILURE:
        assert "UNREACHABLE" in done.stdout + done.stderr


def test_audit_sh_can_require_a_reachable_service(tmp_path):
    """AUDIT_REQUIRE_SERVICE=1 (a CI job with network): unreachable is a failure too."""
    done = run_audit(tmp_path, json.dumps(ALL_SKIPPED_REPORT), AUDIT_REQUIRE_SERVICE="1")
    assert done.returncode == 2
