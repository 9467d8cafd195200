# Stand-in for nginx:1.28-alpine: Debian sid's nginx (≥ 1.27.3, for `resolve` in upstreams) and wget
# for the compose health check. Sid, because bookworm's 1.22 and trixie's 1.26 lack `resolve`.
FROM logplane-standin/debian:sid
# The mirror here serves a snapshot whose Release file has passed its Valid-Until date.
RUN apt-get -o Acquire::Check-Valid-Until=false update \
    && apt-get install -y --no-install-recommends nginx wget \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
