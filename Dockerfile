# Returns Ledger — production image. Stage one builds the wheel from the source; the runtime stage installs
# only that wheel (pinned by constraints.txt), so gunicorn and `ledger db upgrade` run the same installed code.
# Base image pinned by version; pin it by digest too (python:3.11.11-slim-bookworm@sha256:…) where the
# registry is reachable when this file is edited.
FROM python:3.11.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.cfg MANIFEST.in README.md constraints.txt ./
COPY ledger ./ledger
COPY contracts ./contracts
RUN pip wheel --no-cache-dir --no-deps -w /dist .


FROM python:3.11.11-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEDGER_ENV=production \
    LEDGER_BIND=0.0.0.0:8000

# WeasyPrint draws the tagged (PDF/UA) settlement PDF with pango; DejaVu is the font its stylesheet names,
# harfbuzz-subset makes the fonts' subsets. Without pango the PDF falls back to ReportLab, untagged.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0=1.50.12+ds-1 \
        libpangoft2-1.0-0=1.50.12+ds-1 \
        libharfbuzz-subset0=6.0.0+dfsg-3 \
        fonts-dejavu-core=2.37-6 \
    && rm -rf /var/lib/apt/lists/*

# A numeric uid/gid: Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
RUN groupadd --system --gid 10001 ledger \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin ledger

WORKDIR /app
COPY --from=build /dist/*.whl /tmp/wheels/
COPY constraints.txt gunicorn.conf.py ./
RUN pip install --no-cache-dir -c constraints.txt /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels \
    && mkdir -p /app/instance \
    && chown 10001:10001 /app/instance

USER 10001:10001
EXPOSE 8000
# Liveness only (/livez touches no database): a database outage must not get every container restarted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4).status != 200)"]

# Migrations run as a separate one-off step: `docker run … ledger db upgrade` (the same installed package).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "ledger.wsgi:app"]
