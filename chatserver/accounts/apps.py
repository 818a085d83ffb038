from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chatserver.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from chatserver.accounts import oidc_checks, signals  # noqa: F401  (connects the receivers and checks)
