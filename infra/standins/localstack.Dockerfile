# Stand-in for localstack/localstack: localstack-core from PyPI (the pins logplane's embedded LocalStack
# uses) on the build machine's Python ≥ 3.13, in a virtual environment of its own.
FROM logplane-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates libssl3 libffi8 libsqlite3-0 zlib1g \
       libbz2-1.0 liblzma5 libreadline8 libncursesw6 \
    && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
# The interpreter at the path it was built for (pyenv builds hard-code their prefix).
ARG PYTHON_PREFIX
COPY python/ ${PYTHON_PREFIX}/
ARG PACKAGES
RUN mkdir -p /var/lib/localstack \
    && ${PYTHON_PREFIX}/bin/python3 -m venv /opt/localstack \
    && /opt/localstack/bin/pip install --no-cache-dir --cert /etc/ssl/certs/ca-certificates.crt ${PACKAGES}
# The official image's defaults in a container: every interface; queue URLs on the request's host,
# not *.localhost.localstack.cloud; no DNS server of its own and no certificate download (offline).
ENV GATEWAY_LISTEN=0.0.0.0:4566 SQS_ENDPOINT_STRATEGY=path DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 \
    DISABLE_EVENTS=1 FILESYSTEM_ROOT=/var/lib/localstack OVERRIDE_IN_DOCKER=0
EXPOSE 4566
CMD ["/opt/localstack/bin/python", "-m", "localstack.runtime.main"]
