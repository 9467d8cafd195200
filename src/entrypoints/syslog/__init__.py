"""The syslog listener: TCP (RFC 6587), TLS (RFC 5425) and UDP (RFC 5426) into the ingest path."""
