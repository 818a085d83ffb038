"""Which OpenID Connect identity providers sign users in, read from the environment.

`OIDC_PROVIDERS=portal,staff` names them; each name's settings are `OIDC_<NAME>_...` (see
docs/deploy.md, "Connecting a real IdP"). Read at settings time, so this module imports no models.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from accounts.oidc_config import NAME_PATTERN, PROVIDER_SOURCES, STAFF_SOURCE, OidcProvider
from chatserver.env import ConfigError, env_list, env_str


def read_oidc_providers(environ: Mapping[str, str] = os.environ) -> list[OidcProvider]:
    """Every configured provider, validated; a ConfigError names the variable that is wrong."""
    providers = []
    for name in env_list("OIDC_PROVIDERS", environ=environ):
        if not NAME_PATTERN.match(name):
            raise ConfigError(f"OIDC_PROVIDERS: {name!r} must be lowercase letters, digits or '_' (at most 30)")
        providers.append(read_provider(name, environ))
    if len({p.name for p in providers}) != len(providers):
        raise ConfigError("OIDC_PROVIDERS: a name is listed twice")
    return providers


def read_provider(name: str, environ: Mapping[str, str]) -> OidcProvider:
    prefix = f"OIDC_{name.upper()}_"

    def get(key: str, default: str = "") -> str:
        return env_str(prefix + key, default, environ)

    issuer = get("ISSUER").rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigError(f"{prefix}ISSUER: the IdP's issuer URL is required (https://...), got {issuer!r}")
    client_id = get("CLIENT_ID")
    if not client_id:
        raise ConfigError(f"{prefix}CLIENT_ID is required")
    source = get("SOURCE", name)
    if source not in (*PROVIDER_SOURCES, STAFF_SOURCE):
        raise ConfigError(f"{prefix}SOURCE: one of {', '.join((*PROVIDER_SOURCES, STAFF_SOURCE))}, got {source!r}")
    scopes = get("SCOPES", "openid profile email")
    if "openid" not in scopes.split():
        raise ConfigError(f"{prefix}SCOPES must include 'openid', got {scopes!r}")
    use_userinfo = get("USERINFO", "1").lower()
    if use_userinfo not in {"0", "1"}:
        raise ConfigError(f"{prefix}USERINFO: 1 or 0, got {use_userinfo!r}")
    return OidcProvider(
        name=name,
        label=get("LABEL", name.replace("_", " ").title()),
        issuer=issuer,
        client_id=client_id,
        client_secret=get("CLIENT_SECRET"),
        source=source,
        scopes=scopes,
        discovery_url=get("DISCOVERY_URL", issuer + "/.well-known/openid-configuration"),
        use_userinfo=use_userinfo == "1",
        name_claim=get("CLAIM_NAME", "name"),
        agency_claim=get("CLAIM_AGENCY", "agency"),
        locations_claim=get("CLAIM_LOCATIONS", "locations"),
        source_claim=get("CLAIM_SOURCE", "login_source"),
        groups_claim=get("CLAIM_GROUPS", "groups"),
        agent_groups=frozenset(env_list(prefix + "AGENT_GROUPS", ["chat-agents"], environ)),
        supervisor_groups=frozenset(env_list(prefix + "SUPERVISOR_GROUPS", ["chat-supervisors"], environ)),
    )
