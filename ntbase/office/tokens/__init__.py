"""API tokens (ApiToken) for office systems, and the bearer-token check of the office API."""
from ntbase.office.tokens.services import (
    SCOPES,
    TokenProblem,
    authenticate_token,
    create_token,
    hash_token,
    list_tokens,
    revoke_token,
)

__all__ = ["SCOPES", "TokenProblem", "authenticate_token", "create_token", "hash_token", "list_tokens",
           "revoke_token"]
