"""Create the IdP's users and its relying parties (the chat server's OIDC clients)."""

import json

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("spec", help='JSON: {"password": ..., "users": [...], "clients": [{"client_id", ...}]}')

    def handle(self, spec, **options):
        spec = json.loads(spec)
        for username in spec["users"]:
            User.objects.create_user(username, password=spec["password"])
        for client in spec["clients"]:
            Application.objects.create(
                name=client["client_id"],
                client_id=client["client_id"],
                client_secret=client["client_secret"],
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                redirect_uris=client["redirect_uri"],
                post_logout_redirect_uris=client["post_logout_redirect_uri"],
                algorithm=Application.RS256_ALGORITHM,
                skip_authorization=True,
            )
