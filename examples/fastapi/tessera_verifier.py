"""Verify Tessera access tokens offline in a FastAPI (or any ASGI) app: contract 2.7.

    from fastapi import FastAPI
    import tessera_verifier

    app = FastAPI()
    verifier = tessera_verifier.install(app, status_path="/tessera/status")  # reads TESSERA_* variables

Every request is judged by the route policy (the same file format and rules as Tessera's
GET /verify), then its bearer token: signature against a cached JWKS (the key's own algorithm),
typ at+jwt, iss, aud, exp/nbf/iat with a leeway, the revocation feed (revoked jtis, not-before
entries of logged-out, disabled or suspended subjects and tenants, revoked kids), the route's
scopes and the token's model: scopes (against the path's model and the JSON body's "model").
Tessera is called only in the background: the JWKS when its max-age is up (revalidated by
ETag) or once per cooldown for an unknown kid, and GET /revocations every few seconds. While
Tessera is unreachable the last good JWKS and feed are kept, and requests keep being verified.

Only the standard library besides PyJWT (with cryptography), Starlette/FastAPI and, for YAML
policy files, PyYAML.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import jwt
from starlette.requests import Request

__all__ = [
    "BUILT_IN_RULES", "RouteRule", "RoutePolicy", "RouteMatch", "RouteMatcher", "RoutePolicyError",
    "normalize_path", "validate_policy", "load_route_policy", "model_allowed",
    "JwksCache", "RevocationFeed", "TesseraVerifier", "TesseraMiddleware", "Refusal",
    "install", "tessera_claims", "status",
]

log = logging.getLogger("tessera_verifier")

# --------------------------------------------------------------------------------------------
# Route policy: a port of Tessera's src/verify/route-policy.ts. Same file format, same
# answers; route_policy_vectors.json holds the cases both implementations are tested against.
# --------------------------------------------------------------------------------------------


class RoutePolicyError(ValueError):
    """A policy document that Tessera would refuse too; the message names the bad entry."""


@dataclass(frozen=True)
class RouteRule:
    method: str  # upper case, or "*"; GET also matches HEAD
    path: str
    scopes: tuple  # every one is required; empty admits any valid token
    model: Optional[str] = None  # the path parameter naming the model ("*" for the wildcard)


@dataclass(frozen=True)
class RoutePolicy:
    rules: tuple
    audience: Optional[str] = None  # when set, a token must also carry this audience


@dataclass(frozen=True)
class RouteMatch:
    rule: RouteRule
    params: dict
    model: Optional[str]


# Contract 5.1: the built-in policy for OpenAI-compatible inference servers.
BUILT_IN_RULES = (
    RouteRule("GET", "/v1/models", ("models:list",)),
    # Hugging Face model ids hold a slash (Qwen/Qwen3-VL-4B-Instruct): the rest of the path is the id.
    RouteRule("GET", "/v1/models/*", ("models:read",), "*"),
    RouteRule("POST", "/v1/chat/completions", ("chat:completions",)),
    RouteRule("POST", "/v1/completions", ("completions",)),
    RouteRule("POST", "/v1/embeddings", ("embeddings",)),
    RouteRule("POST", "/v1/audio/*", ("audio",)),
    RouteRule("POST", "/v1/images/*", ("images",)),
    RouteRule("POST", "/ocr/*", ("ocr:infer",)),
)

_METHOD = re.compile(r"\*|[A-Z]{3,10}")
_LITERAL = re.compile(r"[A-Za-z0-9._~!$&'()+,;=:@-]+")
_PARAM = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]{0,31}\}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,200}")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_RAW_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_ENCODED_FORBIDDEN = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _is_literal(part: str) -> bool:
    return bool(_LITERAL.fullmatch(part)) and part not in (".", "..")


def _compile_path(path: str) -> list:
    segments = []
    for i, part in enumerate(path.split("/")[1:]):
        if part == "*":
            segments.append(("rest", None))
        elif _PARAM.fullmatch(part):
            segments.append(("param", part[1:-1]))
        elif _is_literal(part):
            segments.append(("literal", part))
        else:  # validate_policy() refuses these
            raise RoutePolicyError(f'segment {i + 1} "{part}" is not a literal, {{param}} or a trailing *')
    return segments


def _match_segments(pattern: list, path: list) -> Optional[dict]:
    params: dict = {}
    for i, (kind, value) in enumerate(pattern):
        if kind == "rest":
            if len(path) <= i:
                return None
            params["*"] = "/".join(path[i:])
            return params
        if i >= len(path):
            return None
        if kind == "literal":
            if value != path[i]:
                return None
        else:
            params[value] = path[i]
    return params if len(path) == len(pattern) else None


def _decode_component(encoded: str) -> str:
    """JavaScript's decodeURIComponent: %XX runs decoded as strict UTF-8, a stray % is an error."""
    out, pos = [], 0
    for m in _ESCAPES.finditer(encoded):
        literal = encoded[pos:m.start()]
        if "%" in literal:
            raise ValueError("bad escape")
        out.append(literal)
        out.append(bytes.fromhex(m.group().replace("%", "")).decode("utf-8"))  # strict: UnicodeDecodeError
        pos = m.end()
    if "%" in encoded[pos:]:
        raise ValueError("bad escape")
    out.append(encoded[pos:])
    return "".join(out)


def normalize_path(raw: str) -> Optional[list]:
    """The decoded segments of a request path, as the model server will route it: query and
    fragment dropped, percent-escapes decoded, empty segments collapsed. None for a path that is
    unsafe to judge (`.`/`..` segments, an encoded slash, backslash or NUL, control characters,
    a bad escape): servers disagree on what those mean."""
    if len(raw) > 8192 and len(raw.encode("utf-16-le")) > 2 * 8192:  # JavaScript counts UTF-16 units
        return None
    path = re.split(r"[?#]", raw, maxsplit=1)[0]
    if not path.startswith("/") or _RAW_FORBIDDEN.search(path) or _ENCODED_FORBIDDEN.search(path):
        return None
    out = []
    for encoded in path.split("/"):
        try:
            segment = _decode_component(encoded)
        except ValueError:  # UnicodeDecodeError is a ValueError
            return None
        if _CONTROL.search(segment) or segment in (".", ".."):
            return None
        if segment:
            out.append(segment)
    return out


class RouteMatcher:
    def __init__(self, policy: RoutePolicy):
        self.policy = policy
        self._compiled = []
        for rule in policy.rules:
            methods = None if rule.method == "*" else ({"GET", "HEAD"} if rule.method == "GET" else {rule.method})
            self._compiled.append((rule, methods, _compile_path(rule.path)))

    def match(self, method: str, raw_path: str) -> Optional[RouteMatch]:
        """The first rule for this method and (raw, possibly encoded) path; None when none, or the path is unsafe."""
        segments = normalize_path(raw_path)
        if segments is None:
            return None
        upper = method.upper()
        for rule, methods, pattern in self._compiled:
            if methods is not None and upper not in methods:
                continue
            params = _match_segments(pattern, segments)
            if params is not None:
                return RouteMatch(rule, params, params.get(rule.model) if rule.model else None)
        return None


def validate_policy(doc: Any) -> RoutePolicy:
    """Checks a policy document (already parsed from JSON or YAML), with Tessera's messages."""
    if not isinstance(doc, dict):
        raise RoutePolicyError('must be an object with "routes"')
    extra = [k for k in doc if k not in ("routes", "audience")]
    if extra:
        raise RoutePolicyError(f'unknown field "{extra[0]}" (expected "routes" and optionally "audience")')
    audience = doc.get("audience")
    if "audience" in doc and (not isinstance(audience, str) or audience == ""):
        raise RoutePolicyError("audience: must be a non-empty string")
    routes = doc.get("routes")
    if not isinstance(routes, list) or not routes:
        raise RoutePolicyError("routes: must be a non-empty list")
    rules = tuple(_validate_rule(entry, f"routes[{i}]") for i, entry in enumerate(routes))
    return RoutePolicy(rules, audience)


def _validate_rule(entry: Any, where: str) -> RouteRule:
    if not isinstance(entry, dict):
        raise RoutePolicyError(f"{where}: must be an object")
    extra = [k for k in entry if k not in ("method", "path", "scopes", "scope", "model")]
    if extra:
        raise RoutePolicyError(f'{where}: unknown field "{extra[0]}"')
    method, path = entry.get("method"), entry.get("path")
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise RoutePolicyError(f'{where}.method: must be an HTTP method or "*"')
    if not isinstance(path, str) or not path.startswith("/"):
        raise RoutePolicyError(f"{where}.path: must be a path starting with /")
    parts = path.split("/")[1:]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if (not last) if part == "*" else not (_PARAM.fullmatch(part) or _is_literal(part)):
            raise RoutePolicyError(f'{where}.path: segment "{part}" must be a literal, a {{param}}, or * at the end')
    if "scope" in entry and "scopes" in entry:
        raise RoutePolicyError(f'{where}: give "scope" or "scopes", not both')
    scopes = [entry["scope"]] if "scope" in entry else entry.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) and _SCOPE.fullmatch(s) for s in scopes):
        raise RoutePolicyError(f"{where}.scopes: must be a list of scope names (no spaces or quotes)")
    params = [p[1:-1] for p in parts if _PARAM.fullmatch(p)]
    if parts[-1] == "*":
        params.append("*")
    model_param = None
    if "model" in entry:
        model = entry["model"]
        name = ""
        if isinstance(model, str):
            braced = re.fullmatch(r"\{(.*)\}", model)
            name = braced.group(1) if braced else model
        if name not in params:
            raise RoutePolicyError(f'{where}.model: must name a {{param}} of the path, or "*" for its trailing wildcard')
        model_param = name
    elif "model" in params:
        model_param = "model"
    return RouteRule(method.upper(), path, tuple(dict.fromkeys(scopes)), model_param)


def load_route_policy(file: Optional[str]) -> RoutePolicy:
    """A policy file: JSON (.json) or YAML (anything else, needs PyYAML); the built-in policy for None."""
    if not file:
        return RoutePolicy(BUILT_IN_RULES, None)
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise RoutePolicyError(f"cannot read {file}: {err.strerror or err}") from None
    is_json = file.endswith(".json")
    try:
        if is_json:
            doc = json.loads(text)
        else:
            try:
                import yaml  # Debian: python3-yaml
            except ImportError:
                raise RoutePolicyError(f"{file}: YAML policy files need PyYAML (apt-get install python3-yaml); or use a .json file") from None
            doc = yaml.safe_load(text)
    except RoutePolicyError:
        raise
    except Exception as err:  # json.JSONDecodeError, yaml.YAMLError
        first = str(err).split("\n")[0]
        raise RoutePolicyError(f"{file} is not valid {'JSON' if is_json else 'YAML'}: {first}") from None
    return validate_policy(doc)


MODEL_SCOPE_PREFIX = "model:"


def model_allowed(scopes: Iterable[str], model: str) -> bool:
    """Contract 2.7: model:<id> scopes restrict a token to those models; none means unrestricted."""
    models = [s for s in scopes if s.startswith(MODEL_SCOPE_PREFIX)]
    return not models or f"{MODEL_SCOPE_PREFIX}{model}" in models


# --------------------------------------------------------------------------------------------
# HTTP to Tessera: urllib, a timeout, no redirects (they would carry the feed's credentials
# elsewhere), a size limit.
# --------------------------------------------------------------------------------------------


class FetchError(Exception):
    """Tessera could not be reached or answered something unusable."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 3xx becomes an HTTPError
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_get(url: str, headers: Mapping[str, str], timeout: float, limit: int):
    """(status, headers, body) of a GET; FetchError when there is no HTTP answer."""
    request = urllib.request.Request(url, headers=dict(headers), method="GET")
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(limit + 1)
            if len(body) > limit:
                raise FetchError(f"{url}: answer larger than {limit} bytes")
            return response.status, response.headers, body
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, b""
    except urllib.error.URLError as err:
        raise FetchError(f"{url}: {err.reason}") from None
    except (OSError, ValueError) as err:  # timeouts, resets, http.client errors
        raise FetchError(f"{url}: {err.__class__.__name__}: {err}") from None


def _max_age(cache_control: Optional[str]) -> Optional[int]:
    if not cache_control:
        return None
    found = None
    for directive in cache_control.lower().split(","):
        directive = directive.strip()
        if directive in ("no-cache", "no-store"):
            return 0
        m = re.fullmatch(r'max-age\s*=\s*"?(\d{1,10})"?', directive)
        if m:
            found = int(m.group(1))
    return found


# --------------------------------------------------------------------------------------------
# JWKS cache
# --------------------------------------------------------------------------------------------

# Asymmetric algorithms only: an "oct" key, HS256 or "none" never verifies anything here.
ALLOWED_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})


class JwksCache:
    """Tessera's JWK Set: kept for its Cache-Control max-age, then revalidated with If-None-Match;
    refetched for an unknown kid at most once per cooldown; kept as it was when a fetch fails.
    Lookups (get) never do I/O; fetches are serialised by a lock."""

    def __init__(self, url: str, *, timeout: float = 5.0, cooldown: float = 30.0, default_max_age: int = 300,
                 clock: Callable[[], float] = time.monotonic, fetch=http_get):
        self.url = url
        self.timeout = timeout
        self.cooldown = cooldown
        self.default_max_age = default_max_age
        self._clock = clock
        self._fetch_impl = fetch
        self._lock = threading.Lock()
        self._keys: dict = {}  # kid -> (key object, alg); replaced whole, never mutated
        self._revoked: frozenset = frozenset()
        self._etag: Optional[str] = None
        self.loaded = False
        self._fresh_until = float("-inf")
        self.confirmed_at: Optional[float] = None  # monotonic time of the last 200 or 304
        self._last_attempt = float("-inf")
        self._last_unknown_kid_fetch = float("-inf")
        self.error: Optional[str] = None
        self.error_at: Optional[float] = None
        self.fetches = 0

    def get(self, kid: str):
        """(key, alg) for this kid, or None. No I/O."""
        return self._keys.get(kid)

    def kids(self) -> list:
        return sorted(self._keys)

    def stale(self) -> bool:
        return self._clock() >= self._fresh_until

    def age(self) -> Optional[float]:
        return None if self.confirmed_at is None else self._clock() - self.confirmed_at

    def refresh_if_stale(self) -> None:
        if self.stale():
            with self._lock:
                if self.stale():
                    self._fetch()

    def ensure_loaded(self, retry_after: float = 1.0) -> bool:
        """Fetch the first set if there is none yet (at most once per retry_after seconds)."""
        if self.loaded:
            return True
        with self._lock:
            if not self.loaded and self._clock() - self._last_attempt >= retry_after:
                self._fetch()
        return self.loaded

    def fetch_allowed_for_unknown_kid(self) -> bool:
        return self._clock() - self._last_unknown_kid_fetch >= self.cooldown

    def refresh_for_kid(self, kid: str) -> bool:
        """Refetch once for a kid the set does not hold, unless the cooldown forbids it. True when it is known now."""
        with self._lock:
            if kid in self._keys:
                return True
            if not self.fetch_allowed_for_unknown_kid():
                return False
            self._last_unknown_kid_fetch = self._clock()
            self._fetch()
            return kid in self._keys

    def set_revoked(self, kids: Iterable[str]) -> None:
        """Kids the revocation feed lists: dropped from the cached set, and from every later fetch."""
        revoked = frozenset(kids)
        if revoked == self._revoked:
            return
        self._revoked = revoked
        if any(k in self._keys for k in revoked):
            self._keys = {k: v for k, v in self._keys.items() if k not in revoked}

    def _fail(self, message: str) -> None:
        if self.error != message:
            log.warning("Tessera JWKS: %s (keeping %d cached keys)", message, len(self._keys))
        self.error, self.error_at = message, time.time()

    def _fetch(self) -> None:
        now = self._clock()
        self._last_attempt = now
        self.fetches += 1
        headers = {"Accept": "application/json"}
        if self._etag and self.loaded:
            headers["If-None-Match"] = self._etag
        try:
            status, response_headers, body = self._fetch_impl(self.url, headers, self.timeout, 1 << 20)
        except FetchError as err:
            self._fail(str(err))
            return
        max_age = _max_age(response_headers.get("Cache-Control") if response_headers else None)
        max_age = self.default_max_age if max_age is None else max_age
        if status == 304 and self.loaded:
            self._fresh_until, self.confirmed_at, self.error = now + max_age, now, None
            return
        if status != 200:
            self._fail(f"{self.url} answered {status}")
            return
        try:
            keys = self._parse(body)
        except ValueError as err:
            self._fail(f"{self.url}: {err}")
            return
        if self.error:
            log.warning("Tessera JWKS: fetched again (%d keys)", len(keys))
        self._keys, self._etag, self.loaded = keys, response_headers.get("ETag"), True
        self._fresh_until, self.confirmed_at, self.error = now + max_age, now, None

    def _parse(self, body: bytes) -> dict:
        try:
            doc = json.loads(body)
        except ValueError:
            raise ValueError("not JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise ValueError('no "keys" list')
        keys = {}
        for jwk in doc["keys"]:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid or kid in self._revoked:
                continue
            # The key's own algorithm (its alg member, else what its kty and crv imply) is the
            # only one its tokens may use: the header does not get to choose.
            alg = jwk["alg"] if "alg" in jwk else _derived_alg(jwk)
            if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
                continue
            try:
                keys[kid] = (jwt.PyJWK(jwk, alg).key, alg)
            except Exception as err:  # a kty that does not fit the alg, a malformed or unsupported key
                log.warning("Tessera JWKS: skipping key %s: %s", kid, err)
        if not keys:
            raise ValueError("no usable signing key")
        return keys


def _derived_alg(jwk: dict) -> Optional[str]:
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        return "RS256"
    if kty == "EC":
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(crv)
    if kty == "OKP" and crv == "Ed25519":
        return "EdDSA"
    return None


# --------------------------------------------------------------------------------------------
# Revocation feed
# --------------------------------------------------------------------------------------------


class RevocationFeed:
    """GET <tessera>/revocations?since=<cursor>, polled; the entries that still matter.

    Refuses a token whose jti is listed, whose iat is before the nbf of an entry for its tenant
    and (its sub, or sub null: the whole tenant), or whose kid is revoked. Entries are forgotten
    once no token they concern can still be accepted. Single writer (the poller thread); readers
    only look up, so the dicts need no lock."""

    def __init__(self, url: str, key_id: str, key: str, *, timeout: float = 5.0, leeway: int = 30,
                 max_token_lifetime: int = 3600, on_revoked_kids: Callable[[Iterable[str]], None] = lambda kids: None,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time, fetch=http_get):
        self.url = url
        self._authorization = "Basic " + base64.b64encode(f"{key_id}:{key}".encode()).decode()
        self.timeout = timeout
        self.leeway = leeway
        self.max_token_lifetime = max_token_lifetime
        self._on_revoked_kids = on_revoked_kids
        self._clock, self._wall, self._fetch_impl = clock, wall, fetch
        self.cursor: Optional[str] = None
        self._etag: Optional[str] = None
        self.ready = threading.Event()  # set after the first good answer
        self.attempted = threading.Event()  # set after the first attempt, good or not
        self.polled_at: Optional[float] = None  # monotonic time of the last 200 or 304
        self.error: Optional[str] = None
        self.error_at: Optional[float] = None
        self._not_until = float("-inf")  # after a 429
        self.jtis: dict = {}  # jti -> exp
        self.subjects: dict = {}  # (tenant_id, sub) -> nbf
        self.tenants: dict = {}  # tenant_id -> nbf
        self.kids: dict = {}  # kid -> epoch second after which it is forgotten

    def age(self) -> Optional[float]:
        return None if self.polled_at is None else self._clock() - self.polled_at

    def refusal(self, claims: Mapping[str, Any], kid: str) -> Optional[str]:
        """Why the feed refuses this (signature-checked) token, or None."""
        if claims["jti"] in self.jtis:
            return "jti revoked"
        iat, tenant_id = claims["iat"], claims["tenant_id"]
        nbf = self.tenants.get(tenant_id)
        if nbf is not None and iat < nbf:
            return "issued before the tenant's not-before"
        nbf = self.subjects.get((tenant_id, claims["sub"]))
        if nbf is not None and iat < nbf:
            return "issued before the subject's not-before"
        if kid in self.kids:
            return "signing key revoked"
        return None

    def _fail(self, message: str) -> None:
        if self.error != message:
            log.warning("Tessera revocation feed: %s (keeping the last state)", message)
        self.error, self.error_at = message, time.time()

    def poll(self) -> None:
        now = self._clock()
        if now < self._not_until:
            return
        url = self.url if not self.cursor else f"{self.url}?since={urllib.parse.quote(self.cursor, safe='')}"
        headers = {"Accept": "application/json", "Authorization": self._authorization}
        if self._etag and self.cursor:
            headers["If-None-Match"] = self._etag
        try:
            status, response_headers, body = self._fetch_impl(url, headers, self.timeout, 64 << 20)
        except FetchError as err:
            self._fail(str(err))
            self.attempted.set()
            return
        if status == 304:
            self._ok(now)
        elif status == 200:
            try:
                doc = self._parse(body)
            except ValueError as err:
                self._fail(f"{self.url}: {err}")
                self.attempted.set()
                return
            self._apply(doc)
            self.cursor, self._etag = doc["cursor"], response_headers.get("ETag")
            self._ok(now)
        elif status == 400:
            # A cursor this Tessera did not make (a restored database?): read everything again.
            self.cursor = self._etag = None
            self._fail(f"{self.url} refused the cursor (400); reading the whole feed again")
        elif status == 429:
            retry = (response_headers.get("Retry-After") or "") if response_headers else ""
            self._not_until = now + (int(retry) if retry.isdigit() else 5)
            self._fail(f"{self.url} answered 429 (throttled), retrying in {retry or 5} s")
        elif status in (401, 403):
            self._fail(f"{self.url} refused the feed credentials ({status}): they need an API key or client with revocations:read")
        else:
            self._fail(f"{self.url} answered {status}")
        self.attempted.set()
        self.prune()

    def _ok(self, now: float) -> None:
        if self.error:
            log.warning("Tessera revocation feed: reachable again")
        self.polled_at, self.error = now, None
        self.ready.set()

    @staticmethod
    def _parse(body: bytes) -> dict:
        try:
            doc = json.loads(body)
        except ValueError:
            raise ValueError("not JSON") from None
        ok = (
            isinstance(doc, dict) and isinstance(doc.get("cursor"), str) and doc["cursor"]
            and isinstance(doc.get("jtis"), list) and isinstance(doc.get("not_before"), list)
            and isinstance(doc.get("revoked_kids"), list)
            and all(isinstance(e, dict) and isinstance(e.get("jti"), str) and _is_int(e.get("exp")) for e in doc["jtis"])
            and all(isinstance(e, dict) and isinstance(e.get("tenant_id"), str) and (e.get("sub") is None or isinstance(e.get("sub"), str))
                    and _is_int(e.get("nbf")) for e in doc["not_before"])
            and all(isinstance(k, str) for k in doc["revoked_kids"])
        )
        if not ok:
            raise ValueError("not a revocation feed document")
        return doc

    def _apply(self, doc: dict) -> None:
        for e in doc["jtis"]:
            self.jtis[e["jti"]] = max(e["exp"], self.jtis.get(e["jti"], 0))
        for e in doc["not_before"]:
            if e["sub"] is None:
                self.tenants[e["tenant_id"]] = max(e["nbf"], self.tenants.get(e["tenant_id"], 0))
            else:
                key = (e["tenant_id"], e["sub"])
                self.subjects[key] = max(e["nbf"], self.subjects.get(key, 0))
        forget = self._wall() + self.max_token_lifetime + self.leeway
        for kid in doc["revoked_kids"]:
            self.kids[kid] = forget  # any token it signed has expired by then
        if doc["revoked_kids"]:
            self._on_revoked_kids(list(self.kids))

    def prune(self) -> None:
        """Forget what can no longer refuse anything: a jti after its exp (plus leeway), a
        not-before entry once every token issued before it has expired, a kid likewise."""
        now = self._wall()
        horizon = self.max_token_lifetime + self.leeway
        if any(exp + self.leeway < now for exp in self.jtis.values()):
            self.jtis = {j: exp for j, exp in self.jtis.items() if exp + self.leeway >= now}
        if any(nbf + horizon < now for nbf in self.subjects.values()):
            self.subjects = {k: nbf for k, nbf in self.subjects.items() if nbf + horizon >= now}
        if any(nbf + horizon < now for nbf in self.tenants.values()):
            self.tenants = {k: nbf for k, nbf in self.tenants.items() if nbf + horizon >= now}
        if any(at < now for at in self.kids.values()):
            self.kids = {k: at for k, at in self.kids.items() if at >= now}
            self._on_revoked_kids(list(self.kids))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# The verifier
# --------------------------------------------------------------------------------------------


class Refusal(Exception):
    """An RFC 6750 refusal: status, error code (None: no credential), description, scope."""

    def __init__(self, status: int, error: Optional[str], description: str, scope: Optional[str] = None,
                 retry_after: Optional[int] = None):
        super().__init__(description)
        self.status, self.error, self.description, self.scope, self.retry_after = status, error, description, scope, retry_after

    def body(self) -> dict:
        return {"error": self.error or "unauthorized", "error_description": self.description}

    def headers(self) -> list:
        headers = [("cache-control", "no-store")]
        if self.status in (401, 403):
            challenge = "Bearer"
            if self.error:
                challenge += f' error="{self.error}"'
            if self.scope:
                challenge += f', scope="{self.scope}"'
            headers.append(("www-authenticate", challenge))
        if self.retry_after is not None:
            headers.append(("retry-after", str(self.retry_after)))
        return headers


def _no_credential() -> Refusal:
    return Refusal(401, None, "A bearer token is required.")


def _invalid(reason: str) -> Refusal:
    err = Refusal(401, "invalid_token", "The access token is invalid, expired or revoked.")
    err.reason = reason  # for logs; never sent
    return err


def _unavailable(what: str) -> Refusal:
    return Refusal(503, "temporarily_unavailable", f"{what} could not be loaded from Tessera yet; try again later.", retry_after=5)


class _NeedsIO(Exception):
    """verify_token(fetch=False) needs a JWKS fetch or to wait for the first feed."""


_BEARER = re.compile(r"Bearer +([A-Za-z0-9._~+/-]+=*) *", re.IGNORECASE)
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}")
MAX_TOKEN_LENGTH = 4096
DEFAULT_BODY_MODEL_ROUTES = ("POST /v1/chat/completions", "POST /v1/completions", "POST /v1/embeddings")

_default: Optional["TesseraVerifier"] = None


class TesseraVerifier:
    """Everything a request is checked against, and the background poller that keeps it fresh."""

    def __init__(self, issuer: str, audience: str, *, tessera_url: Optional[str] = None, jwks_url: Optional[str] = None,
                 revocations_url: Optional[str] = None, feed_key_id: Optional[str] = None, feed_key: Optional[str] = None,
                 revocation_feed: bool = True, poll_interval: float = 5.0, leeway: int = 30, jwks_cooldown: float = 30.0,
                 route_policy: Any = None, timeout: float = 5.0, max_token_lifetime: int = 3600,
                 max_body_bytes: int = 10 << 20, body_model_routes: Sequence[str] = DEFAULT_BODY_MODEL_ROUTES):
        global _default
        if not issuer or not audience:
            raise ValueError("issuer and audience are required")
        self.issuer = issuer.rstrip("/")  # Tessera strips a trailing slash from its ISSUER too
        self.audience = audience
        base = (tessera_url or self.issuer).rstrip("/")
        self.poll_interval = poll_interval
        self.leeway = leeway
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        # "METHOD /path" patterns, matched like the route policy (so {param} and a trailing * work)
        routes = [dict(zip(("method", "path"), r.split(None, 1)), scopes=[]) for r in body_model_routes]
        self.body_model_routes = RouteMatcher(validate_policy({"routes": routes}) if routes else RoutePolicy(()))
        if isinstance(route_policy, RoutePolicy):
            policy = route_policy
        elif isinstance(route_policy, dict):
            policy = validate_policy(route_policy)
        else:
            policy = load_route_policy(route_policy)
        self.matcher = RouteMatcher(policy)
        self.jwks = JwksCache(jwks_url or f"{base}/.well-known/jwks.json", timeout=timeout, cooldown=jwks_cooldown)
        self.feed: Optional[RevocationFeed] = None
        if revocation_feed:
            if not feed_key_id or not feed_key:
                raise ValueError("the revocation feed needs an API key id and key holding revocations:read "
                                 "(TESSERA_FEED_KEY_ID, TESSERA_FEED_KEY), or revocation_feed=False (TESSERA_FEED=off)")
            self.feed = RevocationFeed(revocations_url or f"{base}/revocations", feed_key_id, feed_key, timeout=timeout,
                                       leeway=leeway, max_token_lifetime=max_token_lifetime,
                                       on_revoked_kids=self.jwks.set_revoked)
        self._start_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        _default = self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> "TesseraVerifier":
        """Configuration from TESSERA_* variables (see README.md); keyword arguments win."""

        def get(name: str) -> Optional[str]:
            value = environ.get(name, "").strip()
            return value or None

        def number(name: str, default: float, kind=float):
            raw = get(name)
            if raw is None:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number, not negative")
            return value

        for name in ("TESSERA_ISSUER", "TESSERA_AUDIENCE"):
            if not get(name):
                raise ValueError(f"{name} must be set")
        feed = (get("TESSERA_FEED") or "on").lower()
        if feed not in ("on", "off"):
            raise ValueError("TESSERA_FEED must be on or off")
        try:
            policy = load_route_policy(get("TESSERA_ROUTE_POLICY_FILE"))
        except RoutePolicyError as err:
            raise ValueError(f"TESSERA_ROUTE_POLICY_FILE: {err}") from None
        config = dict(
            tessera_url=get("TESSERA_URL"),
            jwks_url=get("TESSERA_JWKS_URL"),
            feed_key_id=get("TESSERA_FEED_KEY_ID"),
            feed_key=get("TESSERA_FEED_KEY"),
            revocation_feed=feed == "on",
            poll_interval=number("TESSERA_POLL_INTERVAL", 5.0),
            leeway=number("TESSERA_LEEWAY", 30, int),
            jwks_cooldown=number("TESSERA_JWKS_COOLDOWN", 30.0),
            route_policy=policy,
            timeout=number("TESSERA_TIMEOUT", 5.0),
        )
        config.update(overrides)
        return cls(get("TESSERA_ISSUER"), get("TESSERA_AUDIENCE"), **config)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the background poller (also done lazily by the first request)."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="tessera-verifier", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.poll_once()
            self._stop.wait(max(0.05, self.poll_interval - (time.monotonic() - started)))

    def poll_once(self) -> None:
        """One round of the poller: the feed, then the JWKS if its max-age is up."""
        try:
            if self.feed is not None:
                self.feed.poll()
            if self.jwks.loaded:
                self.jwks.refresh_if_stale()
            else:
                self.jwks.ensure_loaded(retry_after=0)
        except Exception:  # never let the poller die
            log.exception("Tessera verifier: poll failed")

    def status(self) -> dict:
        """{"jwks_age_s", "feed_age_s", "last_error"}: seconds since the JWKS and the feed were
        last confirmed by Tessera (None: never), and the error of the latest failed fetch, if the
        latest attempt of that kind failed (None when all is well)."""
        errors = [(at, msg) for at, msg in ((self.jwks.error_at, self.jwks.error),
                                            (self.feed.error_at if self.feed else None, self.feed.error if self.feed else None)) if msg]
        if self.feed is None:
            errors.append((0, "revocation feed disabled (TESSERA_FEED=off): revocations are not seen"))

        def rounded(age: Optional[float]) -> Optional[float]:
            return None if age is None else round(age, 1)

        return {
            "jwks_age_s": rounded(self.jwks.age()),
            "feed_age_s": rounded(self.feed.age()) if self.feed else None,
            "last_error": max(errors, key=lambda e: e[0])[1] if errors else None,
        }

    # -- checks -------------------------------------------------------------------------------

    def bearer_token(self, authorization: Optional[str]) -> str:
        """The token of an Authorization header, or the Refusal (RFC 6750 §3.1)."""
        if authorization is None or not authorization.strip():
            raise _no_credential()
        m = _BEARER.fullmatch(authorization)
        if not m:
            if re.match(r"bearer\b", authorization, re.IGNORECASE):
                raise _invalid("malformed bearer credential")
            raise _no_credential()  # another scheme carries no credential of ours
        return m.group(1)

    def verify_token(self, token: str, fetch: bool = True) -> dict:
        """The claims of a valid, unrevoked Tessera access token, else Refusal. With fetch=False it
        never blocks: it raises _NeedsIO when a JWKS fetch (or the first feed) is needed."""
        if self._thread is None:
            self.start()
        if len(token) > MAX_TOKEN_LENGTH or not _JWT_SHAPE.fullmatch(token):
            raise _invalid("not a JWT")
        try:
            header = jwt.get_unverified_header(token)
        except Exception:
            raise _invalid("malformed header") from None
        # RFC 9068 §4: typ must be at+jwt (media types compare case-insensitively, "application/" may be present).
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "at+jwt":
            raise _invalid("typ is not at+jwt")
        if "crit" in header:
            raise _invalid("crit header")  # RFC 7515 §4.1.11: no extension is understood here
        kid, alg = header.get("kid"), header.get("alg")
        if not isinstance(kid, str) or not kid or len(kid) > 256:
            raise _invalid("no kid")
        if self.feed is not None and not self.feed.ready.is_set():
            if not fetch:
                raise _NeedsIO()
            self.feed.attempted.wait(self.timeout)  # the poller's first poll, just after start
            if not self.feed.ready.is_set():
                raise _unavailable("The revocation feed")
        entry = self.jwks.get(kid)
        if entry is None:
            if not self.jwks.loaded:
                if not fetch:
                    raise _NeedsIO()
                if not self.jwks.ensure_loaded():
                    raise _unavailable("The signing keys")
                entry = self.jwks.get(kid)
            if entry is None:
                if not self.jwks.fetch_allowed_for_unknown_kid():
                    raise _invalid("unknown kid (refetch cooling down)")
                if not fetch:
                    raise _NeedsIO()
                self.jwks.refresh_for_kid(kid)
                entry = self.jwks.get(kid)
            if entry is None:
                raise _invalid("unknown kid")
        key, key_alg = entry
        if alg != key_alg:  # the key's algorithm, never the one the header asks for (RFC 8725 §3.1)
            raise _invalid("alg is not the key's")
        try:
            claims = jwt.decode(
                token, key, algorithms=[key_alg], issuer=self.issuer, audience=self.audience, leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except Exception as err:  # every PyJWTError, and the odd TypeError of a claim of the wrong type
            raise _invalid(f"claims or signature: {err.__class__.__name__}") from None
        for name in ("sub", "jti", "client_id", "tenant_id", "tenant"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise _invalid(f"no {name}")
        if not all(_is_number(claims.get(c)) for c in ("exp", "iat")) or ("nbf" in claims and not _is_number(claims["nbf"])):
            raise _invalid("time claims are not numbers")
        if "scope" in claims and not isinstance(claims["scope"], str):
            raise _invalid("scope is not a string")
        audience = self.matcher.policy.audience
        if audience is not None:
            auds = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            if audience not in auds:
                raise _invalid("not the route policy's audience")
        if self.feed is not None:
            reason = self.feed.refusal(claims, kid)
            if reason:
                raise _invalid(reason)
        return claims

    def authorize(self, claims: Mapping[str, Any], method: str, raw_path: str) -> RouteMatch:
        """The policy's rule for this request if the token's scopes reach it, else Refusal (403)."""
        match = self.matcher.match(method, raw_path)
        if match is None:
            raise Refusal(403, "insufficient_scope", "No rule of the route policy admits this request.")
        scopes = scopes_of(claims)
        missing = [s for s in match.rule.scopes if s not in scopes]
        if missing:
            needed = " ".join(match.rule.scopes)
            raise Refusal(403, "insufficient_scope", f"This request needs the scope {needed}.", needed)
        if match.model is not None:
            self.check_model(scopes, match.model)
        return match

    def check_model(self, scopes: Sequence[str], model: Any) -> None:
        if not isinstance(model, str) or not model:
            raise Refusal(403, "insufficient_scope", "This token is restricted to some models and the request names none.")
        if not model_allowed(scopes, model):
            needed = f"{MODEL_SCOPE_PREFIX}{model}"
            raise Refusal(403, "insufficient_scope", "This token does not cover the model the request names.",
                          needed if _SCOPE.fullmatch(needed) else None)

    def needs_body_model(self, claims: Mapping[str, Any], method: str, raw_path: str) -> bool:
        """True when the JSON body's model must be checked: a model-restricted token on a model route."""
        if not any(s.startswith(MODEL_SCOPE_PREFIX) for s in scopes_of(claims)):
            return False
        return self.body_model_routes.match(method, raw_path) is not None

    def check_body_model(self, claims: Mapping[str, Any], body: bytes) -> None:
        self.check_model(scopes_of(claims), body_model(body))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def scopes_of(claims: Mapping[str, Any]) -> list:
    scope = claims.get("scope")
    return scope.split() if isinstance(scope, str) else []


class _Obj(dict):
    duplicate_model = False


def _pairs(pairs):
    obj = _Obj()
    for k, v in pairs:
        if k == "model" and k in obj:
            obj.duplicate_model = True
        obj[k] = v
    return obj


def body_model(body: bytes) -> Optional[str]:
    """The "model" of a JSON object body; None when it is not one, or names it twice (parsers
    disagree on which one wins, so the server might act on the other)."""
    try:
        doc = json.loads(body, object_pairs_hook=_pairs)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, _Obj) or doc.duplicate_model:
        return None
    model = doc.get("model")
    return model if isinstance(model, str) else None


# --------------------------------------------------------------------------------------------
# ASGI middleware and FastAPI glue
# --------------------------------------------------------------------------------------------


def _raw_path(scope: Mapping[str, Any]) -> Optional[str]:
    raw = scope.get("raw_path")
    if raw:
        try:
            return raw.decode("utf-8").split("?", 1)[0]
        except UnicodeDecodeError:
            return None  # not a path any rule can name
    return urllib.parse.quote(scope.get("path", ""), safe="/!$&'()*+,;=:@-._~")


async def _send_refusal(send, refusal: Refusal, head: bool) -> None:
    body = json.dumps(refusal.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode("latin-1")) for k, v in refusal.headers()]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


class TesseraMiddleware:
    """Pure ASGI middleware: every HTTP request must pass the verifier, except exempt paths
    (exact paths, e.g. a health check). On success the claims are in scope["state"]["tessera"]
    (request.state.tessera; the tessera_claims dependency)."""

    def __init__(self, app, verifier: Optional[TesseraVerifier] = None, exempt_paths: Iterable[str] = ()):
        self.app = app
        self.verifier = verifier or TesseraVerifier.from_env()
        self.exempt = frozenset(exempt_paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        v = self.verifier
        method = scope.get("method", "GET")
        raw_path = _raw_path(scope)
        if raw_path is not None:
            segments = normalize_path(raw_path)
            if segments is not None and "/" + "/".join(segments) in self.exempt:
                await self.app(scope, receive, send)
                return
        try:
            authorization = None
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    if authorization is not None:
                        raise _invalid("two Authorization headers")
                    authorization = value.decode("latin-1")
            token = v.bearer_token(authorization)
            try:
                claims = v.verify_token(token, fetch=False)
            except _NeedsIO:
                claims = await run_in_threadpool(v.verify_token, token, True)
            if raw_path is None:
                raise Refusal(403, "insufficient_scope", "No rule of the route policy admits this request.")
            v.authorize(claims, method, raw_path)
            if v.needs_body_model(claims, method, raw_path):
                body, more = b"", True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > v.max_body_bytes:
                        raise Refusal(413, "invalid_request", "The request body is too large to check its model.")
                v.check_body_model(claims, body)
                receive = _replay(body, receive)
        except Refusal as refusal:
            reason = getattr(refusal, "reason", None)
            if reason:
                log.info("Tessera verifier: refused %s %s: %s", method, scope.get("path"), reason)
            await _send_refusal(send, refusal, method == "HEAD")
            return
        scope.setdefault("state", {})["tessera"] = claims
        await self.app(scope, receive, send)


def _replay(body: bytes, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect

    return replayed


def tessera_claims(request: Request) -> dict:
    """FastAPI dependency: the verified claims of the request (TesseraMiddleware must be mounted)."""
    claims = getattr(request.state, "tessera", None)
    if claims is None:
        raise RuntimeError("TesseraMiddleware is not mounted in front of this route")
    return claims


def install(app, verifier: Optional[TesseraVerifier] = None, *, status_path: Optional[str] = None,
            exempt_paths: Iterable[str] = ()) -> TesseraVerifier:
    """Mounts TesseraMiddleware on a FastAPI/Starlette app, starts and stops the poller with
    the app, and (with status_path) serves status() there, unauthenticated."""
    verifier = verifier or TesseraVerifier.from_env()
    exempt = set(exempt_paths)
    if status_path:
        exempt.add(status_path)

        async def tessera_status():
            return verifier.status()

        app.add_api_route(status_path, tessera_status, methods=["GET"], include_in_schema=False)
    app.add_middleware(TesseraMiddleware, verifier=verifier, exempt_paths=exempt)
    app.add_event_handler("startup", verifier.start)
    app.add_event_handler("shutdown", verifier.close)
    return verifier


def status() -> dict:
    """status() of the verifier made last (by install() or TesseraVerifier())."""
    if _default is None:
        raise RuntimeError("no TesseraVerifier has been made")
    return _default.status()
