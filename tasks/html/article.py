"""trafilatura's article cascade, run once per page with its intermediate results shared.

`trafilatura.bare_extraction` copies the tree it is given, runs readability on every page,
and a short result in balanced mode re-runs the cascade in recall mode, readability included,
on the same pruned tree; a caller that then retries in recall mode itself pays all of it a
third time. Here the stages of trafilatura 2.3's `trafilatura_sequence` (comments off, tables
and links on) are called directly on the caller's tree, readability and the recall pass are
computed at most once per page, and readability is asked only when it can still change the
result: trafilatura adopts it over its own extraction when that is empty, short beside it, or
structurally deficient (no paragraph text, tables outnumbering paragraphs), and an own
extraction of trafilatura's own escalation length (3,000 characters) or more with sound
structure is kept as it is. The escalation's page-length measure is taken only when a bound
computed in C leaves its test open, and `<head>` is dropped first. The stages are trafilatura
internals, hence the pin to 2.3.x.
"""

from __future__ import annotations

from copy import copy, deepcopy
from dataclasses import dataclass

from lxml.etree import XPath, _Element, tostring
from lxml.html import HtmlElement
from trafilatura.baseline import _BLOCK_ELEMS, baseline, html2txt
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.external import (
    JUSTEXT_OVERRIDE_RATIO,
    SANITIZED_XPATH,
    _prefer_readability,
    justext_rescue,
    sanitize_tree,
    try_readability,
)
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import trim
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH


# The length of an element's text with XML whitespace folded, at least that of Python's
# `" ".join(text.split())` (which folds Unicode spaces too); and html2txt's block elements
# (`_spaced_text` spaces them). Both in C, without the text becoming a Python string.
_FOLDED_LENGTH = XPath("string-length(normalize-space(.))")
_COUNT_BLOCKS = XPath(f"count(descendant-or-self::*[{' or '.join(f'self::{tag}' for tag in sorted(_BLOCK_ELEMS))}])")
_BALANCED = Extractor(output_format="python", comments=False, tables=True, links=True)
_RECALL = Extractor(output_format="python", comments=False, tables=True, links=True, recall=True)


@dataclass
class _Page:
    """One page's raw-pruned tree and the cascade results computed on it so far.

    Results are handed out as copies: `sanitize_tree` and seedflow's boilerplate pass
    change the body they are given, and a later stage may want the same result again.
    """

    tree: HtmlElement
    readability: tuple[HtmlElement, str] | None = None
    baseline: tuple[_Element, str] | None = None
    recall: tuple[_Element, str] | None = None

    def readability_result(self) -> tuple[HtmlElement, str]:
        if self.readability is None:
            body = try_readability(copy(self.tree))
            self.readability = body, trim(tostring(body, method="text", encoding="utf-8").decode("utf-8"))
        body, text = self.readability
        return deepcopy(body), text

    def baseline_result(self) -> tuple[_Element, str]:
        if self.baseline is None:
            body, text, _ = baseline(self.tree)
            self.baseline = body, text
        body, text = self.baseline
        return deepcopy(body), text


class Article:
    """The article cascade over one page; `balanced()` and `recall()` share their work."""

    def __init__(self, tree: HtmlElement) -> None:
        """`tree` is pruned in place: the caller reads what it needs from it first.

        `<head>` goes first: no stage takes article text from it (trafilatura's cleaning and
        jusText drop it, readability and the page-length measure read the body), and its
        attribute-laden `<meta>`/`<link>` elements are a tenth of a page's elements, copied
        and scanned by every stage.
        """
        forum = _forum_thread_page(tree)
        for head in tree.findall("head"):
            tree.remove(head)
        tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
        if not forum:
            tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
        self._page = _Page(tree)

    def balanced(self) -> _Element | None:
        """trafilatura's balanced extraction: main pass, comparison, baseline rescue, escalation."""
        body, text = self._extract_and_compare(_BALANCED)
        if len(text) < _BALANCED.min_extracted_size:
            body, text = self._rescue(body, text)
        if 0 < len(text) < ESCALATION_MAX_LENGTH and self._covers_little_of_page(len(text)):
            r_body, r_text = self._recall_pass()
            j_body, j_text = justext_rescue(copy(self._page.tree), _BALANCED)
            if len(j_text) > len(r_text) and len(j_text) > ESCALATION_JUSTEXT_RATIO * len(text):
                body, text = j_body, j_text
            elif len(r_text) >= _BALANCED.min_extracted_size and len(r_text) > ESCALATION_ACCEPT_RATIO * len(text):
                body, text = r_body, r_text
        return body if len(text) >= _BALANCED.min_output_size else None

    def recall(self) -> _Element | None:
        """trafilatura's recall extraction: main pass, comparison, baseline rescue."""
        body, text = self._recall_pass()
        if len(text) < _RECALL.min_extracted_size:
            body, text = self._rescue(body, text)
        return body if len(text) >= _RECALL.min_output_size else None

    def _covers_little_of_page(self, chars: int) -> bool:
        """trafilatura's escalation test, `chars < share × len(html2txt(tree))`, measured only
        when an upper bound of that length leaves it open.

        html2txt deletes boilerplate sections from a copy of the body, adds a space at each
        end of every block element's text and folds whitespace; deleting never lengthens
        folded text and each space adds at most one character, so its length is at most the
        body's folded text plus two per block element, which XPath counts in C. Two pages
        in three are settled by that bound alone.
        """
        tree = self._page.tree
        body = tree.find(".//body")
        body = tree if body is None else body
        bound = int(_FOLDED_LENGTH(body)) + 2 * int(_COUNT_BLOCKS(body))
        if chars >= ESCALATION_PAGE_SHARE * bound:
            return False
        return chars < ESCALATION_PAGE_SHARE * len(html2txt(tree))

    def _recall_pass(self) -> tuple[_Element, str]:
        if self._page.recall is None:
            self._page.recall = self._extract_and_compare(_RECALL)
        body, text = self._page.recall
        return deepcopy(body), text

    def _rescue(self, body: _Element, text: str) -> tuple[_Element, str]:
        b_body, b_text = self._page.baseline_result()
        return (b_body, b_text) if len(b_text) > len(text) else (body, text)

    def _extract_and_compare(self, options: Extractor) -> tuple[_Element, str]:
        cleaned = tree_cleaning(copy(self._page.tree), options)
        backup = copy(cleaned)
        body, text = extract_content(convert_tags(cleaned, options), options)
        return self._compare(backup, body, text, options)

    def _compare(self, cleaned: HtmlElement, body: _Element, text: str, options: Extractor) -> tuple[_Element, str]:
        """trafilatura's `compare_extraction`, asking readability only when its answer can count."""
        if options.focus == "recall" and len(text) > options.min_extracted_size * 10:
            return body, text
        use_readability = False
        if _readability_can_win(body, text):
            algo_body, algo_text = self._page.readability_result()
            use_readability = _prefer_readability(body, algo_body, algo_text, len(text), len(algo_text), options)
            if use_readability:
                body, text = algo_body, algo_text
        if body.xpath(SANITIZED_XPATH) or len(text) < options.min_extracted_size:
            unclean = bool(body.xpath(SANITIZED_XPATH))
            j_body, j_text = justext_rescue(cleaned, options)
            accept = len(text) <= JUSTEXT_OVERRIDE_RATIO * len(j_text) if unclean else len(text) < len(j_text)
            if j_text and accept:
                body, text, use_readability = j_body, j_text, False
        if use_readability:
            body, text = sanitize_tree(body, options)
        return body, text


def _readability_can_win(body: _Element, text: str) -> bool:
    """Whether readability's output could replace this own extraction (see the module docstring)."""
    if len(text) < ESCALATION_MAX_LENGTH:
        return True
    return not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))
