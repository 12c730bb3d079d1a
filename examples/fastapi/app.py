"""A minimal OpenAI-compatible inference stub that checks Tessera access tokens itself.

Offline verification: the signature against Tessera's JWKS (fetched once, cached, refetched
on an unknown kid at most every 30 s), then alg, typ, iss, aud, exp/nbf/iat and the route's
scope. No call to Tessera per request. Run:

    TESSERA_ISSUER=http://127.0.0.1:3000 TESSERA_AUDIENCE=http://127.0.0.1:3000 \
        /usr/bin/python3 -m uvicorn app:app --port 8000
"""

import os
import threading
import time

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientError, PyJWKSetError


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} must be set")
    return value


ISSUER = _env("TESSERA_ISSUER").rstrip("/")  # Tessera strips a trailing slash from its ISSUER too
AUDIENCE = _env("TESSERA_AUDIENCE")
JWKS_URL = os.environ.get("TESSERA_JWKS_URL") or f"{ISSUER}/.well-known/jwks.json"
LEEWAY = int(os.environ.get("TESSERA_LEEWAY", "30"))  # seconds of clock skew tolerated
JWKS_MAX_AGE = 300  # Tessera's Cache-Control max-age for the JWKS
UNKNOWN_KID_COOLDOWN = 30.0  # refetch for an unknown kid at most this often


class JWKSUnavailable(Exception):
    """Tessera's JWKS could not be fetched or read: not the caller's fault (503)."""


class CachedJWKClient(PyJWKClient):
    """PyJWKClient with its JWK Set cache, plus a cooldown on the unknown-kid refetch.

    Plain PyJWKClient refetches the JWKS for every token whose kid it does not know, so a
    flood of made-up kids becomes a flood of requests to Tessera. Tessera publishes the next
    key ahead of each rotation, so a real token practically never carries an unknown kid.
    """

    def __init__(self, uri: str):
        try:  # PyJWT >= 2.7 takes a fetch timeout; Debian's 2.6 does not
            super().__init__(uri, cache_jwk_set=True, lifespan=JWKS_MAX_AGE, timeout=5)
        except TypeError:
            super().__init__(uri, cache_jwk_set=True, lifespan=JWKS_MAX_AGE)
        self._lock = threading.Lock()
        self._last_refresh = float("-inf")

    def get_signing_key(self, kid):
        try:
            key = self.match_kid(self.get_signing_keys(), kid)
            if key is None:
                with self._lock:
                    if time.monotonic() - self._last_refresh < UNKNOWN_KID_COOLDOWN:
                        raise jwt.InvalidTokenError("unknown kid")
                    self._last_refresh = time.monotonic()
                key = self.match_kid(self.get_signing_keys(refresh=True), kid)
        except (PyJWKClientError, PyJWKSetError) as err:
            raise JWKSUnavailable(str(err)) from err
        if key is None:
            raise jwt.InvalidTokenError("unknown kid")
        return key


jwks_client = CachedJWKClient(JWKS_URL)


class BearerError(HTTPException):
    """A refusal with an RFC 6750 challenge and a JSON body."""

    def __init__(self, status: int, error: str | None, description: str, scope: str | None = None):
        challenge = "Bearer"
        if error:
            challenge += f' error="{error}"'
        if scope:
            challenge += f', scope="{scope}"'
        super().__init__(status, {"error": error or "unauthorized", "error_description": description},
                         {"WWW-Authenticate": challenge})


def verify_token(token: str) -> dict:
    """The claims of a valid Tessera access token, else jwt.InvalidTokenError."""
    header = jwt.get_unverified_header(token)  # DecodeError (an InvalidTokenError) if malformed
    if header.get("alg") != "RS256":
        raise jwt.InvalidTokenError("alg must be RS256")
    # RFC 9068 §4: the typ must be at+jwt (media types compare case-insensitively, the
    # "application/" prefix may be present). PyJWT does not check typ itself.
    typ = str(header.get("typ", "")).lower()
    if typ.removeprefix("application/") != "at+jwt":
        raise jwt.InvalidTokenError("typ must be at+jwt")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise jwt.InvalidTokenError("no kid")
    key = jwks_client.get_signing_key(kid)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],  # never let the token choose (no "none", no HS256 with the public key)
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway=LEEWAY,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def require_scope(scope: str):
    """A dependency: the token's claims if it is valid and holds `scope`."""

    def dependency(request: Request) -> dict:  # sync: FastAPI runs it in a thread (the JWKS fetch blocks)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            # RFC 6750 §3.1: no credential, no error code in the challenge.
            raise BearerError(401, None, "A bearer token is required.")
        token = token.strip()
        if not token:
            raise BearerError(401, "invalid_token", "The access token is invalid or expired.")
        try:
            claims = verify_token(token)
        except JWKSUnavailable:
            raise HTTPException(503, {"error": "temporarily_unavailable",
                                      "error_description": "The signing keys could not be loaded."},
                                {"Retry-After": "5"})
        except jwt.InvalidTokenError:
            raise BearerError(401, "invalid_token", "The access token is invalid or expired.")
        if scope not in str(claims.get("scope", "")).split():
            raise BearerError(403, "insufficient_scope", f"This route needs the scope {scope}.", scope)
        return claims

    return dependency


app = FastAPI(title="Tessera FastAPI example")


@app.exception_handler(HTTPException)
async def json_errors(request: Request, exc: HTTPException):
    body = exc.detail if isinstance(exc.detail, dict) else {"error": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


@app.get("/v1/models")
def list_models(claims: dict = Depends(require_scope("models:list"))):
    return {"object": "list", "data": [{"id": "stub-model", "object": "model", "owned_by": claims.get("tenant")}]}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request, claims: dict = Depends(require_scope("chat:completions"))):
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, {"error": "invalid_request", "error_description": "The body must be JSON."})
    model = body.get("model", "stub-model") if isinstance(body, dict) else "stub-model"
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": f"Hello, {claims['sub']}."}}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


@app.post("/ocr/extract")
async def ocr_extract(request: Request, claims: dict = Depends(require_scope("ocr:infer"))):
    image = await request.body()
    return {"text": "", "bytes": len(image), "subject": claims["sub"]}
