from __future__ import annotations

from bench.patterns_accuracy import grouping_accuracy, parsing_accuracy


def test_grouping_accuracy_counts_only_lines_of_exactly_right_groups() -> None:
    truth = ["A", "A", "B", "B", "C"]
    # A is exact; B is split; C is merged with nothing but B's second line joined it.
    predicted = ["1", "1", "2", "3", "3"]
    assert grouping_accuracy(truth, predicted) == 2 / 5


def test_parsing_accuracy_ignores_spacing_and_joined_wildcards() -> None:
    truth = ["Received from /<*>:<*>", "a <*> <*> b", "x <*>"]
    predicted = ["Received  from /<*>", "a <*> b", "x y"]
    assert parsing_accuracy(truth, predicted) == 2 / 3
