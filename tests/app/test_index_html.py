"""The page's HTML: its first paint (ui.page.first_paint) carries the top bar and the lesson
the link opens, as inert markup the live page replaces; it must say what the live page's
lesson banner says, for the lesson the link opens, and never carry what a link crafted it
to carry. The link's first frame (ui.page.first_frame) carries the payloads of the first
reply, as a data block nothing can end early. Its scripts leave out Dash's polyfill bundle and bring the regenerator runtime
Dash's components call, before them."""

import html
import json
import re

import pytest

from descent_lab.ui import page
from descent_lab.ui.core import registry, theme
from descent_lab.ui.core.state import validate_state
from descent_lab.ui.core.url import encode_url
from descent_lab.ui.race import flow, lessons, surface, teach
from descent_lab.ui.race import layout as race_layout


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
    # the switches, the step's range and the speed are drawn for their size, disabled
    fields = re.findall(r"<(?:input|select)\b[^>]*>", shell)
    assert len(fields) > 10 and all(" disabled" in field for field in fields), fields
    # one element per tag opened and closed (an input has no closing tag)
    opened = [tag for tag in re.findall(r"<([a-z0-9]+)[ >]", shell) if tag != "input"]
    closed = re.findall(r"</([a-z0-9]+)>", shell)
    assert sorted(opened) == sorted(closed)


def _chosen(shell: str) -> list[str]:
    """The texts of the switches the shell draws chosen."""
    return [_text(label).strip() for label in re.findall(r'<label class="[^"]* selected">.*?</label>', shell)]


def test_the_first_paint_sets_the_switches_and_legends_as_the_link_does():
    state, errors = validate_state({"surface": {"key": "bowl", "params": {}}, "runs": [{"optimizer": "adam", "hparams": {}}],
                                    "view": "grid", "box": [[-4, 4], [-4, 4]], "show": ["grad", "flows"]})
    assert not errors
    shell = page.first_paint(encode_url(state))
    labels = {inst.name: inst.label for inst in registry.INSTRUMENTS}
    assert sorted(_chosen(shell)) == sorted(["Side by side", "Fit the paths", labels["grad"], labels["flows"]])
    assert 'class="arrow-legend"' in shell and 'class="arrow-legend" hidden' not in shell  # an arrow is on
    assert shell.count('class="path-legend">') == 1 and shell.count('class="path-legend" hidden>') == len(registry.PATHS) - 1
    # without arrows or path instruments their legends are hidden; the default view and window
    plain = page.first_paint("?surface=bowl&run=gd(lr=0.1)")
    assert sorted(_chosen(plain)) == ["Overlay", "Whole surface"]
    assert 'class="arrow-legend" hidden>' in plain and 'class="path-legend">' not in plain


def _first_frame(search: str) -> dict:
    block = page.first_frame(search)
    match = re.fullmatch(r'<script type="application/json" id="first-frame">(.*)</script>', block, re.S)
    assert match, block[:200]
    assert "</" not in match.group(1)  # nothing in it can end the block early
    return json.loads(match.group(1))


@pytest.mark.parametrize("search", ["", "?lesson=saddle-escape", "?surface=bowl&run=gd(lr=0.1)&run=adam(lr=0.3)&view=grid"])
def test_the_first_frame_carries_the_payloads_of_the_links_first_reply(search):
    state, _ = flow.load(search)
    data = _first_frame(search)
    assert data["surface"] == json.loads(json.dumps(surface.surface_payload(state)))
    assert data["paths"] == json.loads(json.dumps(flow.paths_payload(state)))
    assert data["frame"] == state["frame"] and data["theme"] == theme.export()
    assert data["config"] == race_layout.GRAPH_CONFIG  # the live graph's own: the page adopts this plot
    assert data["surface"]["contour"]["z"]["dtype"] == "f4"  # float32 on the wire, as the reply


@pytest.mark.parametrize("search", [
    "?lesson=<script>alert(1)</script>",
    "?run=gd(lr=\"></script><img src=x onerror=alert(1)>)",
    "?surface=custom&f=" + "</script>" * 50,
])
def test_a_crafted_link_cannot_end_the_first_frame_early(search):
    block = page.first_frame(search)
    assert block.count("</script>") == 1 and block.endswith("</script>")
    assert "<img" not in block
    _first_frame(search)


def test_no_first_frame_when_the_budget_refuses_and_the_page_still_loads(monkeypatch):
    from descent_lab.app import server
    from descent_lab.ui.serving import budget

    def busy(state):
        raise budget.Busy("every heavy slot is taken")

    monkeypatch.setattr(flow, "budgeted_paths", busy)
    assert page.first_frame("") == ""
    reply = server.test_client().get("/")
    assert reply.status_code == 200
    body = reply.get_data(as_text=True)
    assert 'id="first-frame"' not in body and "page-shell" in body


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
        # the link's first frame, once, before Dash's root
        assert body.count('id="first-frame"') == 1
        assert body.index('id="first-frame"') < body.index('id="react-entry-point"')


def test_the_scripts_bring_the_regenerator_runtime_before_dash_and_no_polyfill_bundle():
    from descent_lab.app import server

    body = server.test_client().get("/").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', body)
    assert not [src for src in sources if "polyfill" in src]
    runtime = next(i for i, src in enumerate(sources) if "/assets/vendor/regenerator-runtime.js" in src)
    dcc = next(i for i, src in enumerate(sources) if "dash_core_components" in src)
    renderer = next(i for i, src in enumerate(sources) if "dash_renderer" in src)
    assert runtime < min(dcc, renderer)
    # React's scripts run after Plotly's bundle (the first frame does not wait for them) and
    # before the first script that needs them, Dash's renderer; each once
    plotly = next(i for i, src in enumerate(sources) if "/assets/vendor/plotly-contour" in src)
    react = [i for i, src in enumerate(sources) if re.search(r"/deps/(react@|react-dom@|prop-types@)", src)]
    assert len(react) == 3 and plotly < min(react) and max(react) < renderer < dcc, sources
    # and the runtime is served
    assert server.test_client().get(sources[runtime]).status_code == 200


def test_no_first_frame_for_runs_too_long_to_send_twice(monkeypatch):
    # eight 10,000-step runs: the first reply carries them; the HTML does not as well
    state, errors = validate_state({"surface": {"key": "rosenbrock", "params": {}}, "steps": 10_000,
                                    "runs": [{"optimizer": "adam", "hparams": {"lr": 0.001 * k}} for k in range(1, 9)]})
    assert not errors
    computed = []
    monkeypatch.setattr(flow, "budgeted_paths", lambda state: computed.append(state) or flow.paths_payload(state))
    assert page.first_frame(encode_url(state)) == "" and computed == []  # not even computed for the HTML
    short = encode_url({**state, "steps": 1000})
    assert 0 < len(page.first_frame(short)) <= page.FIRST_FRAME_MAX_CHARS + 100 and len(computed) == 1
    # and data over the size bound is left out once computed (a fan of noisy runs adds to it)
    monkeypatch.setattr(page, "FIRST_FRAME_MAX_CHARS", 1000)
    assert page.first_frame(short) == "" and len(computed) == 2
