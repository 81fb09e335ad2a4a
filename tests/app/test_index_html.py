"""The page's HTML: its first paint (ui.page.first_paint) carries the top bar and the lesson
the link opens, as inert markup the live page replaces; it must say what the live page's
lesson banner says, for the lesson the link opens, and never carry what a link crafted it
to carry. Its scripts leave out Dash's polyfill bundle and bring the regenerator runtime
Dash's components call, before them."""

import html
import re

import pytest

from descent_lab.ui import page
from descent_lab.ui.race import flow, lessons, teach


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _words(text: str) -> list[str]:
    return text.split()


def _banner_text(search: str) -> str:
    state, _ = flow.load(search)
    return _text(page.static_html(teach.banner(state)))


@pytest.mark.parametrize("key", [lesson.key for lesson in lessons.LESSONS])
def test_a_lesson_link_paints_that_lesson_first(key):
    shell = page.first_paint(f"?lesson={key}")
    lesson = teach.find(key)
    for sentence in (lesson.title, lesson.question, lesson.answer, lesson.look):
        if sentence:
            assert " ".join(_words(sentence)) in " ".join(_words(_text(shell))), sentence


def test_the_plain_address_paints_the_default_lesson_and_the_top_bar():
    shell = page.first_paint("")
    assert teach.find(lessons.DEFAULT_LESSON).title in _text(shell)
    assert "Descent Lab" in _text(shell) and 'class="topbar"' in shell
    # the same words the live banner shows, in the same order
    assert " ".join(_words(_banner_text(""))) in " ".join(_words(_text(shell)))


def test_the_first_paint_is_inert_markup_without_ids():
    shell = page.first_paint("?lesson=saddle-escape")
    assert shell.startswith('<div class="page-shell" aria-hidden="true">')
    assert " id=" not in shell and "<button" not in shell and "<script" not in shell
    assert "onclick" not in shell.lower() and "aria-label" not in shell
    # one element per tag opened and closed
    opened = re.findall(r"<([a-z0-9]+)[ >]", shell)
    closed = re.findall(r"</([a-z0-9]+)>", shell)
    assert sorted(opened) == sorted(closed)


@pytest.mark.parametrize("search", [
    "?lesson=<script>alert(1)</script>",
    "?run=gd(lr=\"><img src=x onerror=alert(1)>)",
    "?surface=custom&f=" + "x" * 5000,
    "?lesson=momentum-ravine&run=%00%ff",
    "?" + "&".join(["steps=1"] * 3000),
])
def test_a_crafted_link_paints_no_markup_of_its_own(search):
    shell = page.first_paint(search)
    assert "<script" not in shell and "<img" not in shell and "onerror" not in shell
    assert shell.count("<") == shell.count(">")


def test_a_changed_set_up_paints_the_lesson_stale_note_like_the_live_page():
    # a lesson link that also changes a setting: the live page says the text no longer applies
    search = "?lesson=momentum-ravine&steps=7"
    state, _ = flow.load(search)
    assert not teach.applies(state)
    assert "no longer describes the plot" in _text(page.first_paint(search))


def test_the_index_carries_the_first_paint_for_its_own_link():
    from descent_lab.app import server

    client = server.test_client()
    for key in ("saddle-escape", "lr-too-large"):
        reply = client.get(f"/?lesson={key}")
        assert reply.status_code == 200
        body = reply.get_data(as_text=True)
        assert teach.find(key).title in _text(body)
        assert body.index("page-shell") < body.index('id="react-entry-point"')


def test_the_scripts_bring_the_regenerator_runtime_before_dash_and_no_polyfill_bundle():
    from descent_lab.app import server

    body = server.test_client().get("/").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', body)
    assert not [src for src in sources if "polyfill" in src]
    runtime = next(i for i, src in enumerate(sources) if "/assets/vendor/regenerator-runtime.js" in src)
    dcc = next(i for i, src in enumerate(sources) if "dash_core_components" in src)
    renderer = next(i for i, src in enumerate(sources) if "dash_renderer" in src)
    assert runtime < min(dcc, renderer)
    # and the runtime is served
    assert server.test_client().get(sources[runtime]).status_code == 200
