"""Drain's fixed-depth routing: token count, then the first words, then a leaf of patterns."""

from __future__ import annotations

from src.domain.patterns.masking import WILDCARD
from src.domain.patterns.pattern import Pattern


class Node:
    __slots__ = ("children", "patterns")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.patterns: list[Pattern] = []


class ParseTree:
    def __init__(self, *, depth: int, max_children: int) -> None:
        self._root = Node()
        self._prefix = max(depth - 2, 0)
        self._max_children = max_children

    def leaf(self, tokens: list[str]) -> Node:
        """The leaf for `tokens`, made on the way if missing."""
        node = self._child(self._root, str(len(tokens)))
        for token in tokens[: self._prefix]:
            # Only plain words route: a word with a digit, punctuation or a wildcard inside is
            # usually a value the masks left whole, and Drain sends those down the `<*>` branch.
            node = self._child(node, token if token.isalpha() else WILDCARD)
        return node

    def _child(self, node: Node, key: str) -> Node:
        child = node.children.get(key)
        if child is None:
            if len(node.children) >= self._max_children:
                # A full node sends new words down `<*>`: the fan-out stays bounded.
                key = WILDCARD
                child = node.children.get(key)
            if child is None:
                child = node.children[key] = Node()
        return child
