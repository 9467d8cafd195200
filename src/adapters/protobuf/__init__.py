"""Wire formats of the shipper protocols: OTLP (opentelemetry-proto's generated classes), Loki's
push request (descriptors built at import, no code generation) and snappy (cramjam).

Decoders hand the use cases plain dicts in each protocol's JSON shape; library errors become
`InvalidInput`/`PayloadTooLarge`.
"""
