"""Unit tests of tessera_verifier.py, standard library only (plus what the module needs):

    cd examples/fastapi && /usr/bin/python3 -m unittest -v test_tessera_verifier

A fake Tessera (http.server on a loopback port) serves the JWKS and the revocation feed; the
integration test test/integration/fastapi-middleware.int-spec.ts runs these and the real thing.
"""

import asyncio
import base64
import json
import logging
import os
import tempfile
import threading
import time
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import tessera_verifier as tv

logging.getLogger("tessera_verifier").setLevel(logging.ERROR)  # the failures below are on purpose

HERE = os.path.dirname(os.path.abspath(__file__))
ISSUER = "https://tessera.example"
AUDIENCE = "https://inference.example"


class RoutePolicyVectors(unittest.TestCase):
    """route_policy_vectors.json: the answers Tessera's own matcher gives (the int-spec checks that side)."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(HERE, "route_policy_vectors.json"), encoding="utf-8") as f:
            cls.vectors = json.load(f)
        cls.matchers = {
            name: tv.RouteMatcher(tv.RoutePolicy(tv.BUILT_IN_RULES) if doc is None else tv.validate_policy(doc))
            for name, doc in cls.vectors["policies"].items()
        }

    def test_matches(self):
        for case in self.vectors["matches"]:
            with self.subTest(policy=case["policy"], method=case["method"], path=case["path"]):
                m = self.matchers[case["policy"]].match(case["method"], case["path"])
                self.assertEqual(list(m.rule.scopes) if m else None, case["scopes"])
                self.assertEqual(m.model if m else None, case["model"])
                if "params" in case:
                    self.assertEqual(m.params if m else None, case["params"])

    def test_normalize(self):
        for case in self.vectors["normalize"]:
            with self.subTest(path=case["path"]):
                self.assertEqual(tv.normalize_path(case["path"]), case["segments"])

    def test_invalid_policies(self):
        for case in self.vectors["invalid_policies"]:
            with self.subTest(doc=case["doc"]):
                with self.assertRaises(tv.RoutePolicyError) as caught:
                    tv.validate_policy(case["doc"])
                self.assertEqual(str(caught.exception), case["error"])


class LoadRoutePolicy(unittest.TestCase):
    def test_json_yaml_and_built_in(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "p.json"), "w") as f:
                json.dump({"routes": [{"method": "GET", "path": "/x", "scopes": ["a", "b"]}]}, f)
            self.assertEqual(tv.load_route_policy(os.path.join(d, "p.json")).rules, (tv.RouteRule("GET", "/x", ("a", "b")),))
            with open(os.path.join(d, "p.yaml"), "w") as f:
                f.write("audience: https://models.internal\nroutes:\n  - method: POST\n    path: /predict/{model}\n    scope: predict\n")
            try:
                import yaml  # noqa: F401
            except ImportError:
                with self.assertRaisesRegex(tv.RoutePolicyError, "PyYAML"):
                    tv.load_route_policy(os.path.join(d, "p.yaml"))
            else:
                policy = tv.load_route_policy(os.path.join(d, "p.yaml"))
                self.assertEqual(policy, tv.RoutePolicy((tv.RouteRule("POST", "/predict/{model}", ("predict",), "model"),), "https://models.internal"))
                with open(os.path.join(d, "broken.yaml"), "w") as f:
                    f.write("routes: [\n")
                with self.assertRaisesRegex(tv.RoutePolicyError, r"broken\.yaml is not valid YAML"):
                    tv.load_route_policy(os.path.join(d, "broken.yaml"))
            with self.assertRaisesRegex(tv.RoutePolicyError, r"cannot read .*missing\.json"):
                tv.load_route_policy(os.path.join(d, "missing.json"))
        self.assertEqual(tv.load_route_policy(None).rules, tv.BUILT_IN_RULES)


class FakeTessera:
    """JWKS and /revocations on a loopback port; each answer is set by the test."""

    def __init__(self):
        self.requests = []  # (path, headers)
        self.jwks = {"keys": []}
        self.jwks_headers = {"Cache-Control": "public, max-age=300"}
        self.jwks_status = 200
        self.feed_status = 200
        self.feed_docs = []  # answered in turn; the last one again (with the same ETag) forever
        self.feed_headers = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers)))
                if self.path.startswith("/.well-known/jwks.json"):
                    body = json.dumps(fake.jwks).encode()
                    etag = '"%d"' % (hash(body) & 0xFFFFFFFF)
                    if fake.jwks_status != 200:
                        return self._answer(fake.jwks_status, b"{}", {})
                    if self.headers.get("If-None-Match") == etag:
                        return self._answer(304, b"", {**fake.jwks_headers, "ETag": etag})
                    return self._answer(200, body, {**fake.jwks_headers, "ETag": etag})
                if self.path.startswith("/revocations"):
                    if fake.feed_status != 200:
                        return self._answer(fake.feed_status, b"{}", fake.feed_headers)
                    doc = fake.feed_docs.pop(0) if len(fake.feed_docs) > 1 else fake.feed_docs[0]
                    etag = '"%s"' % doc["cursor"]
                    if self.headers.get("If-None-Match") == etag:
                        return self._answer(304, b"", {"ETag": etag})
                    return self._answer(200, json.dumps(doc).encode(), {"ETag": etag, "Cache-Control": "no-cache"})
                self._answer(404, b"{}", {})

            def _answer(self, status, body, headers):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def paths(self, prefix):
        return [(p, h) for p, h in self.requests if p.startswith(prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def p256_jwk(public_key):
    # Coordinates padded to 32 bytes as RFC 7518 §6.2.1.2 requires. PyJWT 2.6's to_jwk drops a
    # leading zero byte (one key in 128), and its own from_jwk then refuses the result.
    numbers = public_key.public_numbers()
    coord = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()
    return {"kty": "EC", "crv": "P-256", "x": coord(numbers.x), "y": coord(numbers.y)}


def rsa_jwk(kid):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class JwksCacheTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeTessera()
        _, self.jwk_a = rsa_jwk("a")
        self.fake.jwks = {"keys": [self.jwk_a]}
        self.clock = Clock()
        self.cache = tv.JwksCache(self.fake.url + "/.well-known/jwks.json", timeout=2, cooldown=30, clock=self.clock)

    def tearDown(self):
        self.fake.close()

    def test_honours_max_age_then_revalidates_by_etag(self):
        self.fake.jwks_headers = {"Cache-Control": "public, max-age=120"}
        self.assertTrue(self.cache.ensure_loaded())
        self.assertEqual(self.cache.kids(), ["a"])
        self.clock.t += 119
        self.cache.refresh_if_stale()
        self.assertEqual(len(self.fake.paths("/.well-known")), 1)
        self.clock.t += 2
        self.cache.refresh_if_stale()
        fetches = self.fake.paths("/.well-known")
        self.assertEqual(len(fetches), 2)
        self.assertIn("If-None-Match", fetches[1][1])  # answered 304: same keys, fresh again
        self.assertEqual(self.cache.age(), 0)
        self.assertEqual(self.cache.kids(), ["a"])
        self.clock.t += 100
        self.cache.refresh_if_stale()
        self.assertEqual(len(self.fake.paths("/.well-known")), 2)

    def test_unknown_kid_refetches_at_most_once_per_cooldown(self):
        self.cache.ensure_loaded()
        _, jwk_b = rsa_jwk("b")
        self.fake.jwks = {"keys": [self.jwk_a, jwk_b]}
        self.assertTrue(self.cache.refresh_for_kid("b"))  # a rotation the cache had not seen
        for _ in range(5):
            self.assertFalse(self.cache.refresh_for_kid("made-up"))
        self.assertEqual(len(self.fake.paths("/.well-known")), 2)
        self.clock.t += 30
        self.assertFalse(self.cache.refresh_for_kid("made-up"))
        self.assertEqual(len(self.fake.paths("/.well-known")), 3)

    def test_keeps_the_last_good_set_while_tessera_fails(self):
        self.fake.jwks_headers = {"Cache-Control": "max-age=10"}
        self.cache.ensure_loaded()
        self.fake.jwks_status = 500
        self.clock.t += 11
        self.cache.refresh_if_stale()
        self.assertEqual(self.cache.kids(), ["a"])
        self.assertRegex(self.cache.error, "answered 500")
        self.fake.close()
        self.cache.refresh_if_stale()
        self.assertEqual(self.cache.kids(), ["a"])
        self.assertIsNotNone(self.cache.error)
        self.assertEqual(self.cache.age(), 11)

    def test_a_new_set_replaces_the_old_and_revoked_kids_stay_out(self):
        self.fake.jwks_headers = {"Cache-Control": "max-age=10"}
        self.cache.ensure_loaded()
        self.cache.set_revoked(["a"])
        self.assertIsNone(self.cache.get("a"))
        _, jwk_b = rsa_jwk("b")
        self.fake.jwks = {"keys": [self.jwk_a, jwk_b, {"kty": "oct", "kid": "h", "k": "c2VjcmV0", "alg": "HS256"}]}
        self.clock.t += 11
        self.cache.refresh_if_stale()
        self.assertEqual(self.cache.kids(), ["b"])  # a revoked, h symmetric

    def test_pins_each_keys_algorithm(self):
        ec_jwk = {**p256_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()), "kid": "e"}
        self.fake.jwks = {"keys": [{k: v for k, v in self.jwk_a.items() if k != "alg"}, ec_jwk]}
        self.cache.ensure_loaded()
        self.assertEqual(self.cache.get("a")[1], "RS256")
        self.assertEqual(self.cache.get("e")[1], "ES256")


def feed_doc(cursor, jtis=(), not_before=(), revoked_kids=()):
    return {"cursor": cursor, "jtis": list(jtis), "not_before": list(not_before), "revoked_kids": list(revoked_kids)}


class RevocationFeedTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeTessera()
        self.wall = Clock()
        self.wall.t = 1_800_000_000
        self.revoked_kids = []
        self.feed = tv.RevocationFeed(self.fake.url + "/revocations", "key-id", "key-secret", timeout=2, leeway=30,
                                      max_token_lifetime=3600, on_revoked_kids=self.revoked_kids.append, wall=self.wall)

    def tearDown(self):
        self.fake.close()

    def claims(self, **kw):
        return {"jti": "j0", "iat": self.wall.t - 10, "tenant_id": "t1", "sub": "u1", **kw}

    def test_polls_with_basic_since_and_if_none_match(self):
        now = int(self.wall.t)
        self.fake.feed_docs = [
            feed_doc("c1", jtis=[{"jti": "j1", "exp": now + 600}]),
            feed_doc("c2", not_before=[{"tenant_id": "t1", "sub": "u1", "nbf": now}], revoked_kids=["k9"]),
        ]
        self.feed.poll()
        self.assertTrue(self.feed.ready.is_set())
        path, headers = self.fake.paths("/revocations")[0]
        self.assertEqual(path, "/revocations")
        self.assertEqual(headers["Authorization"], "Basic " + base64.b64encode(b"key-id:key-secret").decode())
        self.assertEqual(self.feed.refusal(self.claims(jti="j1"), "k1"), "jti revoked")
        self.assertIsNone(self.feed.refusal(self.claims(), "k1"))
        self.feed.poll()
        self.assertEqual(self.fake.paths("/revocations")[1][0], "/revocations?since=c1")
        self.assertEqual(self.fake.paths("/revocations")[1][1]["If-None-Match"], '"c1"')
        self.assertEqual(self.feed.refusal(self.claims(iat=now - 1), "k1"), "issued before the subject's not-before")
        self.assertIsNone(self.feed.refusal(self.claims(iat=now), "k1"))  # strictly before, whole seconds
        self.assertIsNone(self.feed.refusal(self.claims(iat=now - 1, sub="u2"), "k1"))
        self.assertEqual(self.feed.refusal(self.claims(iat=now), "k9"), "signing key revoked")
        self.assertEqual(self.revoked_kids[-1], ["k9"])
        self.feed.poll()  # unchanged: 304
        self.assertEqual(self.fake.paths("/revocations")[2][0], "/revocations?since=c2")
        self.assertEqual(self.feed.cursor, "c2")
        self.assertIsNone(self.feed.error)

    def test_a_tenant_wide_entry_refuses_every_subject_of_the_tenant(self):
        now = int(self.wall.t)
        self.fake.feed_docs = [feed_doc("c1", not_before=[{"tenant_id": "t1", "sub": None, "nbf": now}])]
        self.feed.poll()
        self.assertEqual(self.feed.refusal(self.claims(iat=now - 1, sub="anyone"), "k"), "issued before the tenant's not-before")
        self.assertIsNone(self.feed.refusal(self.claims(iat=now - 1, tenant_id="t2"), "k"))

    def test_forgets_entries_that_no_longer_matter(self):
        now = int(self.wall.t)
        self.fake.feed_docs = [feed_doc("c1", jtis=[{"jti": "j1", "exp": now + 60}],
                                        not_before=[{"tenant_id": "t1", "sub": "u1", "nbf": now}], revoked_kids=["k9"])]
        self.feed.poll()
        self.wall.t = now + 60 + 30  # exp + leeway: a token could still pass
        self.feed.prune()
        self.assertIn("j1", self.feed.jtis)
        self.wall.t += 1
        self.feed.prune()
        self.assertNotIn("j1", self.feed.jtis)
        self.assertIn(("t1", "u1"), self.feed.subjects)
        self.wall.t = now + 3600 + 30 + 1
        self.feed.prune()
        self.assertEqual((self.feed.subjects, self.feed.kids), ({}, {}))

    def test_keeps_its_state_while_tessera_fails_and_rereads_after_a_refused_cursor(self):
        now = int(self.wall.t)
        self.fake.feed_docs = [feed_doc("c1", jtis=[{"jti": "j1", "exp": now + 600}])]
        self.feed.poll()
        for status, message in ((401, "refused the feed credentials"), (500, "answered 500"), (429, "throttled")):
            self.fake.feed_status = status
            self.feed._not_until = float("-inf")
            self.feed.poll()
            self.assertRegex(self.feed.error, message)
            self.assertIn("j1", self.feed.jtis)
            self.assertEqual(self.feed.cursor, "c1")
        self.fake.feed_status = 400
        self.feed._not_until = float("-inf")
        self.feed.poll()
        self.assertIsNone(self.feed.cursor)
        self.fake.feed_status = 200
        self.fake.feed_docs = [{"cursor": "c2", "jtis": "nope"}]
        self.feed.poll()
        self.assertRegex(self.feed.error, "not a revocation feed document")
        self.fake.close()
        self.feed.poll()
        self.assertIn("j1", self.feed.jtis)


def asgi_call(app, method, path, headers=(), body=b""):
    """One request through an ASGI app: (status, headers dict, body)."""
    result = {"status": None, "headers": {}, "body": b""}

    async def run():
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
                result["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                result["body"] += message.get("body", b"")

        raw = path.split("?")[0].encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
                 "path": path.split("?")[0], "raw_path": raw, "query_string": b"", "root_path": "",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers], "client": ("127.0.0.1", 1), "server": ("t", 80)}
        await app(scope, receive, send)

    asyncio.run(run())
    return result["status"], result["headers"], result["body"]


class VerifierTest(unittest.TestCase):
    """TesseraVerifier and TesseraMiddleware in front of a small FastAPI app."""

    @classmethod
    def setUpClass(cls):
        cls.private, jwk_a = rsa_jwk("a")
        cls.fake = FakeTessera()
        cls.fake.jwks = {"keys": [jwk_a]}
        cls.now = int(time.time())
        cls.fake.feed_docs = [feed_doc("c1", jtis=[{"jti": "revoked-jti", "exp": cls.now + 600}],
                                       not_before=[{"tenant_id": "t1", "sub": "logged-out", "nbf": cls.now}])]
        from fastapi import Depends, FastAPI, Request

        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request, claims: dict = Depends(tv.tessera_claims)):
            return {"model": (await request.json()).get("model"), "sub": claims["sub"]}

        @app.get("/v1/models/{model:path}")
        def model(model: str):
            return {"id": model}

        cls.verifier = tv.install(app, tv.TesseraVerifier(ISSUER, AUDIENCE, tessera_url=cls.fake.url, feed_key_id="k", feed_key="s",
                                                          poll_interval=60), status_path="/tessera/status")
        cls.app = app

    @classmethod
    def tearDownClass(cls):
        cls.verifier.close()
        cls.fake.close()

    def token(self, headers=None, key=None, **claims):
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "jti": str(uuid.uuid4()), "client_id": "c", "tenant_id": "t1",
                   "tenant": "acme", "scope": "models:read chat:completions", "iat": self.now - 5, "nbf": self.now - 5, "exp": self.now + 600}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.private, algorithm=(headers or {}).get("alg", "RS256"),
                          headers={"kid": "a", "typ": "at+jwt", **(headers or {})})

    def call(self, method, path, token=None, body=None, authorization=None):
        headers = [("content-type", "application/json")]
        if token or authorization:
            headers.append(("authorization", authorization or f"Bearer {token}"))
        status, h, raw = asgi_call(self.app, method, path, headers, b"" if body is None else json.dumps(body).encode() if not isinstance(body, bytes) else body)
        return status, h, json.loads(raw) if raw else None

    def assert_invalid(self, token, path="/v1/models/x", method="GET"):
        status, headers, body = self.call(method, path, token)
        self.assertEqual((status, headers.get("www-authenticate"), body["error"]), (401, 'Bearer error="invalid_token"', "invalid_token"))

    def test_accepts_a_good_token(self):
        status, _, body = self.call("POST", "/v1/chat/completions", self.token(), {"model": "m1"})
        self.assertEqual((status, body), (200, {"model": "m1", "sub": "u1"}))

    def test_refuses_without_a_credential_with_a_bare_challenge(self):
        for authorization in (None, "Basic YTpi"):
            status, headers, body = self.call("GET", "/v1/models/x", authorization=authorization)
            self.assertEqual((status, headers["www-authenticate"], body["error"]), (401, "Bearer", "unauthorized"))

    def test_refuses_bad_tokens(self):
        self.assert_invalid("not-a-jwt")
        self.assert_invalid(self.token(headers={"typ": "JWT"}))
        self.assert_invalid(self.token(headers={"alg": "PS256"}))  # the right key, not its algorithm
        self.assert_invalid(self.token(headers={"alg": "HS256"}, key=json.dumps(self.fake.jwks["keys"][0])))
        self.assert_invalid(self.token(headers={"crit": ["exp"]}))
        self.assert_invalid(self.token(iss="https://other.example"))
        self.assert_invalid(self.token(aud="https://other-api.example"))
        self.assert_invalid(self.token(exp=self.now - 31))
        self.assert_invalid(self.token(iat=self.now + 60, nbf=self.now + 60))
        self.assert_invalid(self.token(jti=None))
        self.assert_invalid(self.token(tenant_id=None))
        self.assert_invalid(self.token(jti="revoked-jti"))
        self.assert_invalid(self.token(sub="logged-out", iat=self.now - 1))
        self.assert_invalid(self.token(headers={"kid": "unknown"}))
        other, _ = rsa_jwk("a")
        self.assert_invalid(self.token(key=other))
        status, _, _ = self.call("GET", "/v1/models/x", self.token(sub="logged-out", iat=self.now))  # same second: passes
        self.assertEqual(status, 200)
        status, _, _ = self.call("GET", "/v1/models/x", self.token(exp=self.now - 20))  # within the leeway
        self.assertEqual(status, 200)

    def test_route_policy_and_scopes(self):
        status, headers, body = self.call("POST", "/v1/chat/completions", self.token(scope="models:read"), {"model": "m"})
        self.assertEqual((status, headers["www-authenticate"], body["error"]), (403, 'Bearer error="insufficient_scope", scope="chat:completions"', "insufficient_scope"))
        status, headers, _ = self.call("GET", "/docs", self.token())
        self.assertEqual((status, headers["www-authenticate"]), (403, 'Bearer error="insufficient_scope"'))
        self.assertEqual(self.call("GET", "/v1/models/../../docs", self.token())[0], 403)

    def test_model_scopes(self):
        limited = self.token(scope="chat:completions models:read model:m1 model:org/m2")
        self.assertEqual(self.call("POST", "/v1/chat/completions", limited, {"model": "m1"})[0], 200)
        self.assertEqual(self.call("GET", "/v1/models/org/m2", limited)[0], 200)
        status, headers, body = self.call("POST", "/v1/chat/completions", limited, {"model": "m3"})
        self.assertEqual((status, headers["www-authenticate"], body["error"]), (403, 'Bearer error="insufficient_scope", scope="model:m3"', "insufficient_scope"))
        self.assertEqual(self.call("GET", "/v1/models/m3", limited)[1]["www-authenticate"], 'Bearer error="insufficient_scope", scope="model:m3"')
        for body in ({}, {"model": 1}, b"not json", b'{"model": "m1", "model": "m3"}', b'["m1"]'):
            self.assertEqual(self.call("POST", "/v1/chat/completions", limited, body)[0], 403, body)
        self.assertNotIn("scope=", self.call("POST", "/v1/chat/completions", limited, {"model": 'x", a="b'})[1]["www-authenticate"])
        unrestricted = self.token(scope="chat:completions models:read")
        self.assertEqual(self.call("POST", "/v1/chat/completions", unrestricted, {"model": "m3"})[0], 200)
        self.assertEqual(self.call("POST", "/v1/chat/completions", unrestricted, b"{}")[0], 200)

    def test_status(self):
        status, _, body = self.call("GET", "/tessera/status")
        self.assertEqual(status, 200)
        self.assertEqual(set(body), {"jwks_age_s", "feed_age_s", "last_error"})
        self.assertIsInstance(body["feed_age_s"], float)
        self.assertIs(tv.status()["last_error"], None)


if __name__ == "__main__":
    unittest.main()
