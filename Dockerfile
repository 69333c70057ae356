# Returns Ledger — production image: slim Python, non-root, gunicorn with the project's config.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LEDGER_ENV=production \
    LEDGER_BIND=0.0.0.0:8000

WORKDIR /app
RUN groupadd --system ledger && useradd --system --gid ledger --home-dir /app --shell /usr/sbin/nologin ledger

COPY pyproject.toml setup.cfg README.md ./
COPY ledger ./ledger
COPY contracts ./contracts
RUN pip install --no-cache-dir .

COPY wsgi.py gunicorn.conf.py ./
RUN mkdir -p /app/instance && chown ledger:ledger /app/instance

USER ledger
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status == 200 else 1)"

# Migrations run as a separate one-off step: `docker run … ledger db upgrade`.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
