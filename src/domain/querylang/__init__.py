"""logplane's query language: one parser, a typed AST, translators in the adapters (docs/query.md)."""
