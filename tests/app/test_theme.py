"""The theme's colours (ui.core.theme): text readable on every background it sits on
(WCAG 2 AA, 4.5:1), one source for the stylesheets, the runs' colours never used for text."""

import re
from pathlib import Path

import pytest

from descent_lab.app import index_string
from descent_lab.ui.core import theme

ASSETS = Path(theme.__file__).resolve().parents[2] / "assets"
STYLESHEETS = sorted(ASSETS.glob("*.css"))


def test_contrast_ratio_matches_wcag_reference_values():
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)  # order does not matter
    assert theme.contrast_ratio("#52606d", "#52606d") == pytest.approx(1.0)
    # #767676 is the lightest grey passing AA on white; #777777 just fails (WebAIM's figures)
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert theme.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("background", sorted(theme.BACKGROUNDS))
@pytest.mark.parametrize("text", sorted(theme.TEXT_COLORS))
def test_every_text_colour_is_readable_on_every_background(text, background):
    ratio = theme.contrast_ratio(theme.TEXT_COLORS[text], theme.BACKGROUNDS[background])
    assert ratio >= theme.MIN_TEXT_CONTRAST, f"{text} on {background}: {ratio:.2f}"


def test_muted_text_reaches_aa_on_the_page_panels_and_lesson_banner():
    for background in (theme.PAGE, theme.PANEL, theme.LESSON):
        assert theme.contrast_ratio(theme.MUTED, background) >= 4.5


def test_white_text_on_the_primary_button_is_readable():
    assert theme.contrast_ratio(theme.PANEL, theme.ACCENT) >= theme.MIN_TEXT_CONTRAST


def test_some_run_colours_would_fail_as_text_so_none_is_used_for_text():
    # the reason for the rule below: vermillion, green, orange, sky blue are too light
    assert any(theme.contrast_ratio(c, theme.LESSON) < 4.5 for c in theme.PALETTE)
    for sheet in STYLESHEETS:
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for rule in re.findall(r"([^{}]+)\{([^}]*)\}", css):
            declarations = [d.strip() for d in rule[1].split(";")]
            assert "color: var(--run-color)" not in declarations or "glyph" in rule[0], (sheet.name, rule[0])


def test_the_page_head_carries_the_theme_and_the_stylesheets_do_not_redefine_it():
    head = index_string()
    assert '<html lang="en">' in head
    assert theme.css_variables() in head
    for name, value in (("--ink", theme.INK), ("--muted", theme.MUTED), ("--bg", theme.PAGE)):
        assert f"{name}:{value};" in theme.css_variables()
    for sheet in STYLESHEETS:
        css = sheet.read_text()
        for name in ("--ink", "--muted", "--danger", "--accent", "--bg", "--panel", "--line", "--lesson", "--link"):
            assert not re.search(rf"{name}\s*:", css), f"{sheet.name} redefines {name}"
