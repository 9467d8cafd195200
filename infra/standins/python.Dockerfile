# Stand-in for python:3.11-slim: Debian bookworm's Python 3.11 with venv and pip (see README.md).
FROM logplane-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python-is-python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# The build machine's extra certificate authorities (e.g. an egress proxy's), for pip inside builds.
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates \
    && printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > /etc/pip.conf
ENV LANG=C.UTF-8
