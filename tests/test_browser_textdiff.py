"""Word-level diffs and shared passages: what they mark, and bounded time on large input."""

from __future__ import annotations

import time

from browser.textdiff import MAX_BLOCK_TOKENS, diff, passages


def changed(segments: list) -> list[str]:
    return [s.text for s in segments if s.changed]


def test_one_changed_word_is_marked_alone() -> None:
    result = diff("The ferry leaves every forty minutes.\nSecond line.", "The ferry leaves every thirty minutes.\nSecond line.")
    [row, same] = result.rows
    assert row.kind == "replace" and changed(row.old) == ["forty"] and changed(row.new) == ["thirty"]
    assert same.kind == "equal"
    assert (result.words_added, result.words_removed, result.exact) == (1, 1, True)


def test_rewrapped_text_is_not_a_change_of_words() -> None:
    result = diff("one two three four", "one two\nthree four")
    assert result.words_added == 0 and result.words_removed == 0


def test_long_unchanged_stretches_collapse_to_context() -> None:
    old = "\n".join(f"line {n}" for n in range(100))
    new = old.replace("line 50", "line fifty")
    kinds = [row.kind for row in diff(old, new).rows]
    assert kinds.count("skip") == 2 and kinds.count("replace") == 1 and len(kinds) == 1 + 2 + 2 * 3


def test_huge_changed_blocks_stay_fast_and_say_so() -> None:
    old = " ".join(f"w{n}" for n in range(MAX_BLOCK_TOKENS * 3))
    new = " ".join(f"v{n}" for n in range(MAX_BLOCK_TOKENS * 3))
    began = time.perf_counter()
    result = diff(old, new)
    assert time.perf_counter() - began < 2.0
    assert result.exact is False and changed(result.rows[0].old) == [old]


def test_passages_of_near_copies() -> None:
    left = "Storm closed the coast road. Engineers found cracks near the lighthouse."
    right = "Storm closed the coast road. Engineers found cracks near the old pier. Syndicated."
    found = passages(left, right)
    assert changed(found.left) == ["lighthouse."] and changed(found.right) == ["old pier. Syndicated."]
    assert 0.6 < found.shared_ratio < 0.9 and not found.truncated
    assert passages(left, left).shared_ratio == 1.0
