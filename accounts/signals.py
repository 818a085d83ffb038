"""An administrator deactivating an account closes that user's sockets at once."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.sessions import close_user_sockets


@receiver(post_save, sender=User, dispatch_uid="close_sockets_of_deactivated_users")
def close_sockets_of_deactivated_users(sender, instance: User, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        close_user_sockets(instance.pk)
