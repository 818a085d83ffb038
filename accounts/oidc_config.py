"""An OpenID Connect identity provider as the accounts app uses it (plain data, no models).

The environment is read into these by `chatserver.oidc_settings` at settings time (the settings
layer sits above accounts on the ladder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The providers' login sources (accounts.models.LoginSource) plus `staff`: the company's IdP,
# whose users become agents or supervisors by their groups.
PROVIDER_SOURCES = ("portal", "cigna_sms", "sms")
STAFF_SOURCE = "staff"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclass(frozen=True)
class OidcProvider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    source: str
    scopes: str
    discovery_url: str
    use_userinfo: bool
    name_claim: str
    agency_claim: str
    locations_claim: str
    source_claim: str
    groups_claim: str
    agent_groups: frozenset[str]
    supervisor_groups: frozenset[str]

    @property
    def is_staff_idp(self) -> bool:
        return self.source == STAFF_SOURCE


def issuer_origin(issuer: str) -> str:
    """`https://idp.example.com/realms/x` -> `https://idp.example.com` (for CSP)."""
    scheme, _, rest = issuer.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
