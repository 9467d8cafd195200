"""Shipper protocols (Elasticsearch bulk, OTLP logs, Loki push) mapped onto `LogDraft`.

Pure functions over already decoded documents: no framework, no wire formats. Each mapping
returns one item per incoming record, a `LogDraft` or the `DomainError` that rejects it, so the
HTTP edge can answer partial failures in the protocol's own way.
"""
