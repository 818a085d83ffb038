"""`manage.py check --deploy`: warn when password login is still on beside an IdP in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def local_login_beside_idp(app_configs, **kwargs) -> list[Warning]:
    if settings.OIDC_PROVIDERS and settings.LOCAL_LOGIN and not settings.DEBUG:
        return [
            Warning(
                "Username/password login (LOCAL_LOGIN) is on while an identity provider is configured.",
                hint="Set LOCAL_LOGIN=0 so that only the portal's IdP signs people in (its logout then ends access).",
                id="accounts.W001",
            )
        ]
    return []
