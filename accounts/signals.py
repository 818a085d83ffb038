"""A change to what a login may do reaches that user's sockets at once, in every process.

- Deactivation closes every socket of the user (4401).
- A password change (any path: admin, `set_password`, provisioning) makes the stored session hash
  of every other session stale: Django refuses those sessions on their next request, and each
  socket re-checks its session on `session.check` and closes (4401) when it no longer verifies.
  The session that made the change stays logged in (Django's `update_session_auth_hash`).
- A role, agency or location change raises `credentials_version`, which is part of the session
  hash (models.User), with the same effect on every session of the user.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.sessions import close_user_sockets, recheck_user_sockets

WATCHED = ("password", "is_active", "role", "agency_id")
RAISES_VERSION = ("role", "agency_id")


@receiver(pre_save, sender=User, dispatch_uid="remember_credentials_before_save")
def remember_credentials(sender, instance: User, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {f.removesuffix("_id") for f in WATCHED} & set(update_fields):
        return  # e.g. the last_login update at every login
    instance._credentials_before = User.objects.filter(pk=instance.pk).values(*WATCHED).first()  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="end_sessions_on_credential_change")
def end_sessions_on_credential_change(sender, instance: User, created: bool, raw: bool = False, **kwargs) -> None:
    before = getattr(instance, "_credentials_before", None)
    instance._credentials_before = None  # type: ignore[attr-defined]
    if created or raw:
        return
    if not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: close_user_sockets(user_id))
        return
    if before is None:
        return
    changed = {name for name in WATCHED if before[name] != getattr(instance, name)}
    if changed & set(RAISES_VERSION):
        raise_credentials_version([instance.pk])
        instance.refresh_from_db(fields=["credentials_version"])
    elif changed:
        user_id = instance.pk
        transaction.on_commit(lambda: recheck_user_sockets(user_id))


@receiver(m2m_changed, sender=User.locations.through, dispatch_uid="end_sessions_on_location_change")
def end_sessions_on_location_change(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        user_ids = [instance.pk]
    elif action == "post_clear":  # location.users.clear(): pk_set is not given
        return
    else:
        user_ids = list(pk_set or ())
    if user_ids:
        raise_credentials_version(user_ids)
    if not reverse:  # the caller's object must hash like the row (a login right after provisioning)
        instance.refresh_from_db(fields=["credentials_version"])


def raise_credentials_version(user_ids: list[int]) -> None:
    """Every session of these users stops verifying; their sockets re-check after commit."""
    User.objects.filter(pk__in=user_ids).update(credentials_version=F("credentials_version") + 1)
    for user_id in user_ids:
        transaction.on_commit(partial(recheck_user_sockets, user_id))
