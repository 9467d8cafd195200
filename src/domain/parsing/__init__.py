"""Log parsers: text lines in, `LogDraft`s out. Pure Python, no I/O.

`registry.ParserRegistry` is the entry point (auto-detect, or a parser by name); `multiline.join_multiline`
turns physical lines into events first, so a stack trace arrives as one event.
"""
