"""Issue 14, "one stylesheet": every signed-in page loads static/css/app.css (templates/base.html) and nothing
else; the per-page stylesheets (index, bulk, workflows, imports, chatflows) are merged into it. The only other
stylesheets are those of the public pages: the hosted form (a page of its own, without base.html) and the
booking page of a meetings link."""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
STYLESHEET = re.compile(r"""<link\b[^>]*\brel="stylesheet"[^>]*\bhref="\{% static '([^']+)' %\}""")
EXTENDS = re.compile(r"""\{% extends "([^"]+)" %\}""")
# The public pages' own stylesheets, shown to visitors who are not signed in.
PUBLIC_STYLESHEETS = {
    "leadforms/public/hosted.html": "leadforms/public.css",
    "engagements/booking.html": "engagements/booking.css",
}


def _templates() -> dict[str, str]:
    """Every template of the project's own directories: its name (as {% extends %} names it) → its text."""
    return {
        str(path.relative_to(directory)): path.read_text()
        for directory in TEMPLATE_DIRS
        for path in directory.rglob("*.html")
    }


def _extends_base(name: str, templates: dict[str, str]) -> bool:
    while name in templates and (parent := EXTENDS.search(templates[name])):
        name = parent.group(1)
        if name == "base.html":
            return True
    return False


def test_base_links_app_css_and_no_template_extending_it_links_another_stylesheet():
    templates = _templates()
    assert STYLESHEET.findall(templates["base.html"]) == ["css/app.css"]
    extending = [name for name in templates if _extends_base(name, templates)]
    assert "contacts/index.html" in extending and "marketing_status/wizard_filters.html" in extending  # the walk works
    for name in extending:
        expected = [PUBLIC_STYLESHEETS[name]] if name in PUBLIC_STYLESHEETS else []
        assert STYLESHEET.findall(templates[name]) == expected, name


def test_partials_and_other_templates_link_no_stylesheet_but_the_public_pages():
    """A partial's <link> (contacts/_bulk_actions.html once had one) lands in the page that includes it."""
    linking = {name: STYLESHEET.findall(text) for name, text in _templates().items() if STYLESHEET.search(text)}
    assert linking == {
        "base.html": ["css/app.css"],
        **{name: [stylesheet] for name, stylesheet in PUBLIC_STYLESHEETS.items()},
    }
    assert not _extends_base("leadforms/public/hosted.html", _templates())  # the hosted form does not load app.css


def test_the_static_stylesheets_are_app_css_and_the_public_pages_ones():
    stylesheets = {str(path.relative_to(ROOT / "static")) for path in (ROOT / "static").rglob("*.css")}
    assert stylesheets == {"css/app.css", *PUBLIC_STYLESHEETS.values()}


STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)">')


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/contacts/",
        "/contacts/recycle-bin/",
        "/jobs/",
        "/automation/workflows/",
        "/contacts-imports/new/",
        "/conversations/new/",
    ],
)
def test_signed_in_pages_that_had_their_own_stylesheet_load_only_app_css(admin_client, subscription, path):
    response = admin_client.get(path)

    assert response.status_code == 200
    assert STYLESHEET_LINK.findall(response.content.decode()) == [f"{settings.STATIC_URL}css/app.css"]
