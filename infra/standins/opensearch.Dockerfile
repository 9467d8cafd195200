# Stand-in for opensearchproject/opensearch: the same min distribution logplane's embedded engine
# fetches from Maven Central (no plugins, so no security plugin), on the build machine's JDK ≥ 21.
FROM logplane-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --home-dir /usr/share/opensearch opensearch
COPY jdk/ /opt/jdk/
COPY --chown=1000:1000 opensearch/ /usr/share/opensearch/
COPY opensearch-entrypoint.sh /usr/local/bin/
RUN install -d -o 1000 -g 1000 /usr/share/opensearch/data /usr/share/opensearch/logs
ENV OPENSEARCH_JAVA_HOME=/opt/jdk
USER 1000
EXPOSE 9200
ENTRYPOINT ["opensearch-entrypoint.sh"]
