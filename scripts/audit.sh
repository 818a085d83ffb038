#!/usr/bin/env bash
# Audit the installed (pinned) dependency set for known vulnerabilities with pip-audit.
#
#   exit 1  a dependency has a known vulnerability (CI fails)
#   exit 0  no known vulnerability, OR no vulnerability service could be reached (said loudly:
#           "UNREACHABLE"; the run proves nothing, and AUDIT_REQUIRE_SERVICE=1 turns it into exit 2)
#   exit 2  pip-audit itself is broken (missing, usage error, crash that is not a network failure)
#
# pip-audit alone exits 0 when every dependency is skipped ("Dependency not found on PyPI and
# could not be audited"), so its JSON report is read by scripts/audit_decide.py. The PyPI service
# is tried first, then OSV (AUDIT_SERVICES overrides the order).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PIP_AUDIT="${PIP_AUDIT:-$VENV/bin/pip-audit}"
PYTHON="${PYTHON:-$VENV/bin/python}"
SERVICES="${AUDIT_SERVICES:-pypi osv}"
TIMEOUT="${AUDIT_TIMEOUT:-15}"
report="$(mktemp)"
errors="$(mktemp)"
trap 'rm -f "$report" "$errors"' EXIT

if [[ ! -x "$PIP_AUDIT" ]]; then
    echo "audit: $PIP_AUDIT not found (pip install pip-audit, or make setup)" >&2
    exit 2
fi

for service in $SERVICES; do
    echo "audit: pip-audit against the installed environment, service '$service'" >&2
    # -l: only this venv's distributions (the pinned set); --skip-editable: the project itself.
    "$PIP_AUDIT" -l --skip-editable --progress-spinner off --format json --timeout "$TIMEOUT" \
        --vulnerability-service "$service" >"$report" 2>"$errors"
    "$PYTHON" "$ROOT/scripts/audit_decide.py" "$report" "$errors"
    decision=$?
    case "$decision" in
        0) exit 0 ;;
        1) exit 1 ;;
        2) ;;  # unreachable: try the next service
        *) echo "audit: pip-audit failed; see above" >&2; exit 2 ;;
    esac
done

echo "audit: WARNING: vulnerability services ($SERVICES) are UNREACHABLE from this machine;" \
     "no dependency was checked. Exiting 0 because the audit cannot know." >&2
if [[ "${AUDIT_REQUIRE_SERVICE:-0}" == "1" ]]; then
    exit 2
fi
exit 0
