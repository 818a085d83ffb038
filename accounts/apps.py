from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import oidc_checks, signals  # noqa: F401  (connects the receivers and checks)
