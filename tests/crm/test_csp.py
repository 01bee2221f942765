"""The Content-Security-Policy every response carries (crm.settings.CONTENT_SECURITY_POLICY, django-csp).

The browser tests (tests/browser, `test_csp.py` above all) prove the pages work under it; these check
the header itself, the nonces in the pages, and that the embed style's hash follows the embed script.
"""

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from leadforms.builder import FieldSpec, form_create
from tests.factories import UserFactory, contacts_make

EMBED_SCRIPT = Path(settings.BASE_DIR) / "static" / "leadforms" / "embed-v2.js"
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
NONCE_ATTRIBUTE = re.compile(r'<(script|style) nonce="([^"]*)">')


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


def without_nonce(policy: dict[str, str]) -> dict[str, str]:
    return {name: NONCE.sub("'nonce'", value) for name, value in policy.items()}


def embed_style_hash() -> str:
    """sha256 of the <style> text embed-v2.js adds: the string literals joined into its `STYLE`."""
    declaration = re.search(r"var STYLE =\s*((?:\"(?:[^\"\\]|\\.)*\"\s*\+?\s*)+);", EMBED_SCRIPT.read_text()).group(1)
    text = "".join(json.loads(literal) for literal in re.findall(r"\"(?:[^\"\\]|\\.)*\"", declaration))
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce'",
    "style-src": f"'self' 'nonce' {settings.CRM_CSP_EMBED_STYLE_HASH}",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_embed_style_hash_is_the_one_of_the_style_the_embed_script_adds():
    assert embed_style_hash() == settings.CRM_CSP_EMBED_STYLE_HASH


@pytest.mark.django_db
def test_sign_in_page_has_the_policy_and_no_nonce_when_it_has_no_inline_block(client):
    response = client.get("/login/")
    assert directives(response) == {
        **POLICY,
        "script-src": "'self'",
        "style-src": POLICY["style-src"].replace(" 'nonce'", ""),
    }


def test_a_page_with_inline_blocks_gets_one_fresh_nonce_for_all_of_them(admin_client, subscription, system_actor):
    contact = contacts_make(count=1, actor=system_actor, marketing=True)[0]  # the record's dialog and its script
    nonces = []
    for _ in range(2):
        response = admin_client.get(f"/contacts/{contact.pk}/")
        assert response.status_code == 200
        policy = directives(response)
        assert without_nonce(policy) == POLICY
        (nonce,) = set(NONCE.findall(response["Content-Security-Policy"]))
        blocks = NONCE_ATTRIBUTE.findall(response.content.decode())
        assert {tag for tag, _ in blocks} == {"script"}  # no template has a <style> block (one stylesheet)
        assert {value for _, value in blocks} == {nonce}
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_templates_have_no_inline_block_without_a_nonce_and_no_inline_handler():
    """Inline <script>/<style> without a nonce would be blocked; onclick= and friends cannot be allowed."""
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<(script|style)>", text), template
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_templates_have_no_style_block_their_rules_are_in_the_stylesheet():
    """Issue 14: the screens' rules live in static/css/ (app.css, which base.html loads), not in <style> blocks."""
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        assert "<style" not in template.read_text(), template


def test_hosted_form_page_may_not_be_framed_and_allows_the_embed_style(db, client, subscription, system_actor):
    form = form_create(name="Webinar", fields=[FieldSpec("email", "Email", True)], actor=system_actor)
    response = client.get(f"/forms/{form.guid}/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert settings.CRM_CSP_EMBED_STYLE_HASH in policy["style-src"]


@pytest.mark.parametrize("path", ["/crm/v3/objects/contacts", "/crm/v3/nope", "/healthz"])
def test_api_and_plain_responses_carry_it_too(db, client, path):
    assert directives(client.get(path))["default-src"] == "'self'"


def test_the_api_docs_pages_add_only_what_swagger_and_redoc_need(admin_client):
    swagger = without_nonce(directives(admin_client.get("/api/docs/")))
    assert swagger == {**POLICY, "img-src": "'self' data:"}
    redoc = without_nonce(directives(admin_client.get("/api/redoc/")))
    assert redoc == {
        **POLICY,
        "img-src": "'self' data:",
        "style-src": "'self' 'unsafe-inline'",
        "worker-src": "'self' blob:",
    }
    assert "fonts.googleapis.com" not in admin_client.get("/api/redoc/").content.decode()
