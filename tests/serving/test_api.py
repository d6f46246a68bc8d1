"""The HTTP API of a real ``attnseq serve`` process: answers, attention, models, batching."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_helpers import LIMIT_FLAGS, png_bytes

from attnseq.api.translator import Translator

SENTENCES = [
    "Je suis très fatigué.",
    "Où est la gare ?",
    "Elle ne veut pas partir.",
    "Il fait froid ce matin.",
    "Nous avons faim.",
    "Tu es en retard.",
    "Ils sont partis hier.",
    "J'aime les chats.",
]


@pytest.fixture(scope="module")
def translator(run_dir) -> Translator:
    return Translator.load(run_dir)


def test_health_and_models(client):
    assert client.get("/healthz").json() == {"status": "ok", "models": 1}
    body = client.get("/v1/models").json()
    (model,) = body["models"]
    assert model["name"] == "fr-en" and model["task"] == "translation"
    assert model["languages"] == {"source": "fr", "target": "en"}
    assert model["parameters"] > 0
    assert body["defaults"] == {"translation": "fr-en"}
    limits = body["limits"]
    assert limits["max_chars"] == LIMIT_FLAGS["--max-chars"]
    assert limits["max_sentences"] == LIMIT_FLAGS["--max-sentences"]
    assert limits["default_beam"] == LIMIT_FLAGS["--beam"]
    assert limits["max_body_bytes"] == LIMIT_FLAGS["--max-body-kb"] * 1024


def test_translate_matches_the_python_api(client, translator):
    response = client.post("/v1/translate", json={"text": SENTENCES[:3], "beam": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "fr-en"
    expected = translator.translate(SENTENCES[:3], beam=2)
    assert [t["translation"] for t in body["translations"]] == [e.text for e in expected]
    for got, want in zip(body["translations"], expected, strict=True):
        assert got["source"] == want.source
        assert got["src_tokens"] == want.src_tokens and got["src_tokens"][-1] == "</s>"
        assert got["out_tokens"] == want.out_tokens
        attention = got["attention"]
        assert len(attention) == len(got["out_tokens"])
        assert all(len(row) == len(got["src_tokens"]) for row in attention)
        assert all(abs(sum(row) - 1) < 1e-3 and min(row) >= 0 for row in attention)
    timing = body["timing"]
    assert timing["batch_items"] >= 3 and timing["total_ms"] >= timing["compute_ms"] > 0


def test_single_string_and_default_beam(client, translator):
    body = client.post("/v1/translate", json={"text": "Nous avons faim."}).json()
    (result,) = body["translations"]
    beam = LIMIT_FLAGS["--beam"]
    assert result["translation"] == translator.translate(["Nous avons faim."], beam=beam)[0].text


def test_named_model_and_unknown_model(client):
    ok = client.post("/v1/translate", json={"text": "Bonjour.", "model": "fr-en"})
    assert ok.status_code == 200 and ok.json()["model"] == "fr-en"
    missing = client.post("/v1/translate", json={"text": "Bonjour.", "model": "de-en"})
    assert missing.status_code == 404
    assert missing.json() == {"error": "unknown model 'de-en'; served: fr-en", "status": 404}


def test_chat_and_caption_without_such_models_are_404(client, tmp_path):
    chat = client.post("/v1/chat", json={"history": ["Salut !"]})
    assert chat.status_code == 404 and chat.json()["error"] == "no chat model loaded"
    wrong = client.post("/v1/chat", json={"history": ["Salut !"], "model": "fr-en"})
    assert wrong.status_code == 404 and "is a translation model" in wrong.json()["error"]
    caption = client.post("/v1/caption", files={"image": ("a.png", png_bytes(), "image/png")})
    assert caption.status_code == 404 and caption.json()["error"] == "no caption model loaded"


def test_concurrent_requests_each_get_their_own_answer(server, translator):
    """Requests batched together on the server must not mix up their results."""
    beam = LIMIT_FLAGS["--beam"]
    expected = {
        s: t.text
        for s, t in zip(SENTENCES, translator.translate(SENTENCES, beam=beam), strict=True)
    }

    def ask(sentence: str) -> dict:
        with httpx.Client(base_url=server, timeout=60) as c:
            return c.post("/v1/translate", json={"text": sentence}).json()

    with ThreadPoolExecutor(len(SENTENCES)) as pool:
        answers = list(pool.map(ask, SENTENCES * 2))
    for sentence, body in zip(SENTENCES * 2, answers, strict=True):
        (result,) = body["translations"]
        assert result["source"] == sentence
        assert result["translation"] == expected[sentence]


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/app.js"' in page.text
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../limits.py").status_code == 404


def test_openapi_documents_the_limits(client):
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/v1/translate", "/v1/chat", "/v1/caption", "/v1/models", "/healthz"} <= paths
    text = schema["components"]["schemas"]["TranslateRequest"]["properties"]["text"]
    one, many = text["oneOf"]
    assert one["maxLength"] == LIMIT_FLAGS["--max-chars"]
    assert many["maxItems"] == LIMIT_FLAGS["--max-sentences"]
    responses = schema["paths"]["/v1/translate"]["post"]["responses"]
    assert {"200", "404", "413", "422"} <= set(responses)
