"""A minimal OpenAI-compatible inference stub protected by tessera_verifier.

Every request is checked offline (tessera_verifier.py, contract 2.7): the route policy (the
built-in OpenAI-compatible one, or TESSERA_ROUTE_POLICY_FILE), the token's signature against
Tessera's cached JWKS, typ, iss, aud, exp/nbf/iat, the revocation feed, the route's scopes and
the token's model: scopes. No call to Tessera per request. Run:

    TESSERA_ISSUER=http://127.0.0.1:3000 TESSERA_AUDIENCE=http://127.0.0.1:3000 \
    TESSERA_FEED_KEY_ID=<api key id> TESSERA_FEED_KEY=<api key> \
        /usr/bin/python3 -m uvicorn app:app --port 8000
"""

import time

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

import tessera_verifier
from tessera_verifier import tessera_claims

app = FastAPI(title="Tessera FastAPI example")
verifier = tessera_verifier.install(app, status_path="/tessera/status")


def status() -> dict:
    """{"jwks_age_s", "feed_age_s", "last_error"}, as GET /tessera/status answers."""
    return verifier.status()


@app.exception_handler(HTTPException)
async def json_errors(request: Request, exc: HTTPException):
    body = exc.detail if isinstance(exc.detail, dict) else {"error": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, {"error": "invalid_request", "error_description": "The body must be JSON."})
    if not isinstance(body, dict):
        raise HTTPException(400, {"error": "invalid_request", "error_description": "The body must be a JSON object."})
    return body


@app.get("/v1/models")
def list_models(claims: dict = Depends(tessera_claims)):
    return {"object": "list", "data": [{"id": "stub-model", "object": "model", "owned_by": claims.get("tenant")}]}


@app.get("/v1/models/{model:path}")
def get_model(model: str, claims: dict = Depends(tessera_claims)):
    return {"id": model, "object": "model", "owned_by": claims.get("tenant")}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request, claims: dict = Depends(tessera_claims)):
    body = await json_body(request)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub-model"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": f"Hello, {claims['sub']}."}}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


@app.post("/v1/completions")
async def completions(request: Request, claims: dict = Depends(tessera_claims)):
    body = await json_body(request)
    return {"id": "cmpl-stub", "object": "text_completion", "created": int(time.time()), "model": body.get("model", "stub-model"),
            "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]}


@app.post("/v1/embeddings")
async def embeddings(request: Request, claims: dict = Depends(tessera_claims)):
    body = await json_body(request)
    return {"object": "list", "model": body.get("model", "stub-model"), "data": [{"object": "embedding", "index": 0, "embedding": [0.0]}]}


@app.post("/ocr/extract")
async def ocr_extract(request: Request, claims: dict = Depends(tessera_claims)):
    image = await request.body()
    return {"text": "", "bytes": len(image), "subject": claims["sub"]}
