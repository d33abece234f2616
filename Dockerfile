# onec-bridge service image: slim, non-root, health-checked.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY mock_1c ./mock_1c
COPY mock_tracker ./mock_tracker
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ONEC_BRIDGE_MAPPINGS_DIR=/app/mappings \
    ONEC_BRIDGE_DATABASE_URL=sqlite:////data/onec_bridge.db
RUN groupadd --system bridge && useradd --system --gid bridge --home-dir /app bridge \
    && mkdir -p /app /data && chown bridge:bridge /data
COPY --from=build /install /usr/local
COPY mappings /app/mappings
WORKDIR /app
USER bridge
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["onec-bridge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
