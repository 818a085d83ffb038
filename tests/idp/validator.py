from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.idp.middleware import claims_for


class ClaimsFromFile(OAuth2Validator):
    """Every claim in claims.json for the user goes into the ID token and userinfo (no scope filter)."""

    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return claims_for(request.user.username)
