"""The web page in headless Chromium: translate, see the heatmap, hover, use the keyboard.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``);
Playwright drives it, so ``playwright install`` is never needed.
``ATTNSEQ_SCREENSHOT=docs/serve-page.png`` keeps the screenshot there.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from serve_helpers import LIMIT_FLAGS, StubCaptioner, StubChatbot, png_bytes, serve_app

CHROMIUM = "/usr/bin/chromium"
SENTENCE = "Je suis très fatigué."

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """A fresh page; fails the test if the page logs an error (a CSP violation included)."""
    contexts, errors = [], []

    def opener(url: str, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(url)
        page.wait_for_selector("#model option", state="attached")
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


def translate_in_page(page, text: str) -> None:
    page.fill("#source", text)
    page.press("#source", "Control+Enter")  # the keyboard shortcut submits
    page.wait_for_selector(".heatmap")


def test_translate_heatmap_and_hover(open_page, server, tmp_path):
    expected = httpx.post(f"{server}/v1/translate", json={"text": SENTENCE}).json()
    (want,) = expected["translations"]
    n_out, n_src = len(want["out_tokens"]), len(want["src_tokens"])

    page = open_page(server, viewport={"width": 1000, "height": 720})
    translate_in_page(page, SENTENCE)
    assert page.locator(".heatmap td.cell").count() == n_out * n_src
    assert page.locator(".heatmap tbody tr").count() == n_out
    assert page.locator(".out-tok").count() == n_out
    assert page.locator(".src-tok").count() == n_src

    # Hovering an output word (the one with the sharpest attention) highlights
    # the source words by its weights.
    rows = want["attention"]
    i = max(range(n_out), key=lambda r: max(rows[r]))
    page.locator(".out-tok").nth(i).hover()
    assert page.locator(".out-tok.active").count() == 1
    assert page.locator(".heatmap tbody tr.active").get_attribute("data-i") == str(i)
    weights = page.locator(".src-tok").evaluate_all("nodes => nodes.map(n => n.dataset.weight)")
    assert [float(w) for w in weights] == pytest.approx(rows[i], abs=1e-3)
    top = max(range(n_src), key=rows[i].__getitem__)
    top_word = page.locator(".src-tok").nth(top).inner_text()
    assert f"looked most at “{top_word}”" in page.locator(".explain").inner_text()

    shot = Path(os.environ.get("ATTNSEQ_SCREENSHOT") or tmp_path / "serve-page.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Moving off the card clears the highlight.
    page.mouse.move(1, 1)
    assert page.locator(".src-tok.attended").count() == 0


def test_chat_tab_and_keyboard_moves_between_output_words(open_page):
    from attnseq.serving.app import create_app
    from attnseq.serving.registry import ServedModel

    app = create_app([ServedModel("talk", "chat", Path("talk"), StubChatbot())])
    with serve_app(app) as url:
        page = open_page(url)
        assert page.get_attribute("#tab-chat", "aria-selected") == "true"
        page.fill("#chat-input", "How are you today")
        page.press("#chat-input", "Control+Enter")
        page.wait_for_selector("#chat-log .heatmap")
        assert page.inner_text("#chat-log li.user") == "How are you today"
        words = page.locator(".out-tok")
        assert words.count() == 5  # four words and the end
        words.nth(0).focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.dataset.i") == "2"
        assert page.locator(".out-tok.active").get_attribute("data-i") == "2"
        assert "you" in page.locator(".explain").inner_text()  # "you" looked at "you"


def test_phone_size_screen_has_no_sideways_page_scroll(open_page, server):
    page = open_page(server, viewport={"width": 375, "height": 740}, is_mobile=True)
    translate_in_page(page, "Nous avons beaucoup travaillé pendant toute la semaine dernière.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap = page.locator(".heatmap-wrap").first.bounding_box()
    assert wrap is not None and wrap["x"] + wrap["width"] <= 375


def test_errors_are_shown_on_the_page(open_page, server):
    page = open_page(server)
    page.fill("#source", "a" * (LIMIT_FLAGS["--max-chars"] + 1))
    page.click("#translate-button")
    page.wait_for_selector("#error:not([hidden])")
    assert f"at most {LIMIT_FLAGS['--max-chars']} characters" in page.inner_text("#error")
    assert page.locator(".heatmap").count() == 0


def test_caption_tab_draws_attention_over_the_picture(open_page, tmp_path):
    from attnseq.serving.app import create_app
    from attnseq.serving.registry import ServedModel

    app = create_app([ServedModel("look", "caption", Path("look"), StubCaptioner())])
    picture = tmp_path / "red.png"
    picture.write_bytes(png_bytes((90, 60)))
    with serve_app(app) as url:
        page = open_page(url)
        assert page.get_attribute("#tab-caption", "aria-selected") == "true"
        page.set_input_files("#image", str(picture))
        page.click("#caption-form button[type=submit]")
        page.wait_for_selector(".picture .overlay div")
        assert page.locator(".overlay div").count() == 6  # the 2x3 grid
        page.locator(".out-tok").nth(2).hover()  # "square" attended to region 2
        shade = page.locator(".overlay div").evaluate_all(
            "cells => cells.map(c => Number(c.style.getPropertyValue('--w')))"
        )
        assert max(range(6), key=shade.__getitem__) == 2 and shade[2] == 1
