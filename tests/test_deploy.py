"""Production settings pass Django's deployment checks, and refuse to start without a secret key.

`manage.py` runs in a subprocess because settings are read once per process, from the environment.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _production_env(**overrides: str) -> dict[str, str]:
    """This run's environment without any DJANGO_* or CRM_* switch, set to production, plus `overrides`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "CRM_"))}
    env["CRM_ENV"] = "production"
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=MANAGE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    secret_key = secrets.token_urlsafe(64)  # 86 random characters
    env = _production_env(DJANGO_SECRET_KEY=secret_key, DJANGO_ALLOWED_HOSTS="crm.example.com")

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr
    assert "?:" not in result.stdout + result.stderr  # no check id (security.W…) was reported


def test_production_without_secret_key_fails_with_improperly_configured():
    env = _production_env(DJANGO_ALLOWED_HOSTS="crm.example.com")
    assert "DJANGO_SECRET_KEY" not in env

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_responses_carry_the_content_security_policy():
    env = _production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS="crm.example.com")
    request = (
        "from django.test import Client; "
        "response = Client().get('/healthz', secure=True, HTTP_HOST='crm.example.com'); "
        "print(response.status_code); print(response['Content-Security-Policy'])"
    )

    result = _manage("shell", "-c", request, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    status, policy = result.stdout.strip().splitlines()[-2:]
    assert status == "200"
    assert sorted(policy.split("; ")) == sorted(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' {settings.CRM_CSP_EMBED_STYLE_HASH}",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
