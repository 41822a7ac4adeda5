"""JWT access tokens: HS256 pinned, every claim required, short-lived."""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt

from commerce_core.identity.ports import AccessClaims, IssuedToken
from commerce_core.shared.errors import InvalidToken
from commerce_core.shared.ports import Clock

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "role"]


class JwtTokenIssuer:
    def __init__(
        self,
        secret: str,
        clock: Clock,
        *,
        issuer: str = "commerce-core",
        audience: str = "commerce-api",
        ttl: timedelta = timedelta(minutes=15),
        leeway: timedelta = timedelta(seconds=5),
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret needs at least 32 characters")
        self._secret = secret
        self._clock = clock
        self._issuer, self._audience, self._ttl, self._leeway = issuer, audience, ttl, leeway

    def issue_access(self, user_id: str, role: str) -> IssuedToken:
        now = self._clock.now()
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "role": role,
            "jti": secrets.token_hex(16),
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return IssuedToken(token, int(self._ttl.total_seconds()))

    def verify_access(self, token: str) -> AccessClaims:
        try:
            # The algorithm list is pinned: "none" and asymmetric confusions are refused here.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    "require": REQUIRED_CLAIMS,
                    # Times are checked below against the injected clock, which tests move.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            now = self._clock.now().timestamp()
            if not all(isinstance(claims[c], int | float) for c in ("exp", "nbf", "iat")):
                raise InvalidToken("malformed time claims")
            if claims["exp"] <= now - self._leeway.total_seconds():
                raise InvalidToken("token expired")
            if claims["nbf"] > now + self._leeway.total_seconds():
                raise InvalidToken("token not yet valid")
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if not isinstance(claims.get("sub"), str) or claims.get("role") not in {
            "customer",
            "admin",
        }:
            raise InvalidToken("malformed claims")
        return AccessClaims(claims["sub"], claims["role"], str(claims["jti"]))
