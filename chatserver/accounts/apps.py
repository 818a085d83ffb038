from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chatserver.accounts"
    label = "accounts"
    verbose_name = "Accounts"
