# The app image: web (gunicorn), Celery worker and beat all run from it; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRM_ENV=production \
    CRM_VAR_DIR=/app/var

WORKDIR /app
RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --create-home --home-dir /home/crm crm

# Dependencies first, so that a code change does not reinstall them. Pinned with hashes (make lock).
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock

COPY . .
# Static files are served by WhiteNoise from var/static. Production settings need a secret key even
# for collectstatic; this one exists only during the build.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-real-key python manage.py collectstatic --noinput \
    && chown -R crm:crm /app/var

USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
