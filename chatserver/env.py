"""Small typed readers for settings that come from the environment.

Each reader names the variable in its error so a bad deployment fails at start-up with a message
a person can act on, rather than running with a silent default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class ConfigError(Exception):
    """A configuration value is missing or malformed."""


def env_str(name: str, default: str = "", environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(name, default).strip()


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] = os.environ) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, environ: Mapping[str, str] = os.environ, minimum: int = 0) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> list[str]:
    raw = environ.get(name, "")
    if not raw.strip():
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_seconds_list(name: str, default: list[int], environ: Mapping[str, str] = os.environ) -> list[int]:
    items = env_list(name, environ=environ)
    if not items:
        return list(default)
    try:
        values = [int(item) for item in items]
    except ValueError:
        raise ConfigError(f"{name}: expected comma-separated seconds, got {environ.get(name)!r}") from None
    if any(v <= 0 for v in values) or values != sorted(set(values)):
        raise ConfigError(f"{name}: seconds must be positive and increasing, got {environ.get(name)!r}")
    return values


def env_seconds_map(
    name: str, default: dict[str, int], keys: frozenset[str], environ: Mapping[str, str] = os.environ
) -> dict[str, int]:
    """`key=seconds,key=seconds` over `default`; a key outside `keys` or a bad number is an error."""
    values = dict(default)
    for item in env_list(name, environ=environ):
        key, _, raw = item.partition("=")
        key = key.strip()
        if key not in keys:
            raise ConfigError(f"{name}: unknown key {key!r}; expected one of {', '.join(sorted(keys))}")
        if not raw.strip().isdigit() or int(raw) <= 0:
            raise ConfigError(f"{name}: {key} needs a positive whole number of seconds, got {raw.strip()!r}")
        values[key] = int(raw)
    return values


def env_host_ports(name: str, environ: Mapping[str, str] = os.environ) -> list[tuple[str, int]]:
    """`host:port,host:port` as pairs."""
    pairs = []
    for item in env_list(name, environ=environ):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{name}: expected host:port entries, got {item!r}")
        pairs.append((host, int(port)))
    return pairs
