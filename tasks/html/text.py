"""HTML pages to main text and metadata.

trafilatura finds the article region (it scores well on mixed news, blog and institutional
pages, and falls back to readability/jusText comparisons on its own). Three generic steps
around it close the gaps it leaves on real pages:

* blocks inside the article that are furniture ("Read more: …", credits, newsletter prompts,
  short link-only paragraphs) are dropped (`tasks.html.boilerplate`);
* the lead paragraph, which many CMSs mark as a teaser/summary and trafilatura prunes with
  other teasers, is put back when it sits right under the page's `<h1>`;
* a result that is too short is retried with trafilatura's recall settings, and a page it
  cannot handle at all (no article found, parser depth limit) falls back to every visible
  string via beautifulsoup4, so that text is lost only when there is none.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, HTMLParser, fromstring
from trafilatura.utils import repair_faulty_html
from trafilatura.xml import xmltotxt

from tasks.html.article import Article
from tasks.html.boilerplate import is_boilerplate_text, is_link_block
from tasks.html.metadata import PageMetadata, page_metadata
from tasks.whitespace import folded

# trafilatura and htmldate log a warning for every odd link or date on a page: noise for a
# pipeline that records its own outcome per document.
for _library in ("trafilatura", "htmldate"):
    logging.getLogger(_library).setLevel(logging.ERROR)

_NOT_TEXT = ("script", "style", "noscript", "template")
# Below this many characters an extraction has probably missed the article body.
_SHORT_TEXT = 250
_FILTERED_BLOCKS = ("p", "head", "item", "quote", "cell")
_LINK_CHECKED_BLOCKS = frozenset({"p", "item"})
# Lead/summary paragraphs are looked for only this many elements after the `<h1>`.
_LEAD_WINDOW = 60
_LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:lead|leadin|teaser|intro|summary|excerpt|chapo|standfirst|subtitle|subline|deck|dek"
    r"|abstract|description|kurztext|vorspann)(?:$|[\s_-])",
    re.IGNORECASE,
)
_LEAD_TAGS = frozenset({"p", "div", "h2", "h3", "span", "section", "header"})
_LEAD_MIN_CHARS, _LEAD_MAX_CHARS = 40, 1500
# Real articles have a few thousand elements; past this, trafilatura's passes (seconds per
# 100,000 elements, and copies of the tree) are skipped for one linear walk of the text.
MAX_ELEMENTS = 100_000
_LEAD_MAX_LINK_SHARE = 0.3
# trafilatura's parser settings. lxml.html's own element lookup is a Python callback run for
# every element object created (a tenth of the extraction's CPU): one class for all elements
# does in C what it does, as nothing here needs lxml's form-element classes.
_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


@dataclass
class HtmlParts:
    text: str
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None


def extract_html(markup: str) -> HtmlParts:
    """Main text of a page (one block a paragraph) and its metadata; never raises on bad markup."""
    tree = _parse(markup)
    meta = page_metadata(tree) if tree is not None else PageMetadata()
    text = ""
    if tree is not None:
        # Not page text, and trafilatura's fallbacks may keep <noscript>/<template> content.
        etree.strip_elements(tree, *_NOT_TEXT, with_tail=False)
        if _too_many_elements(tree):
            return _parts(meta, tree_text(tree))
        text = main_text(tree)
    if not text.strip():
        text = visible_text(markup)
    return _parts(meta, text)


def _parts(meta: PageMetadata, text: str) -> HtmlParts:
    return HtmlParts(
        text=text,
        title=meta.title,
        published=meta.published,
        author=meta.author,
        canonical_url=meta.canonical_url,
        language_hint=meta.language_hint,
    )


def _too_many_elements(tree: HtmlElement) -> bool:
    return tree.xpath("count(//*)") >= MAX_ELEMENTS


def tree_text(tree: HtmlElement) -> str:
    """All text of a huge page in one linear pass, one block a line (no article detection)."""
    lines = (folded(line) for line in "\n".join(tree.itertext()).splitlines())
    return "\n".join(line for line in lines if line)


def _parse(markup: str) -> HtmlElement | None:
    """lxml tree of the page as `trafilatura.utils.load_html` makes it; None for markup lxml
    cannot make a tree of (e.g. empty), or that is not HTML at all."""
    beginning = markup[:50].lower()
    markup = repair_faulty_html(markup, beginning)
    try:
        tree = fromstring(markup, parser=_PARSER)
    except (ValueError, etree.LxmlError, RecursionError):  # ValueError: a str declaring its encoding
        tree = None
    if tree is None or len(tree) < 1:
        try:
            tree = fromstring(markup.encode("utf-8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError, RecursionError):
            return None
    if tree is not None and "html" not in beginning and len(tree) < 2:
        return None
    return tree


def main_text(tree: HtmlElement) -> str:
    """The article's text, boilerplate blocks removed; "" when no article is found.

    The tree is pruned in place by the cascade, so the lead paragraph is looked for first.
    """
    lead = _lead_paragraph(tree)
    try:
        article = Article(tree)
    except Exception:  # noqa: BLE001 - a library bug on one odd page must not fail the batch
        return ""
    text = _article_text(article.balanced)
    if len(text) < _SHORT_TEXT:
        retry = _article_text(article.recall)
        if len(retry) > len(text):
            text = retry
    if text and lead and folded(lead)[:100] not in folded(text):
        text = f"{lead}\n\n{text}"
    return text


def _article_text(extraction: Callable[[], etree._Element | None]) -> str:
    try:
        body = extraction()
    except Exception:  # noqa: BLE001 - a library bug on one odd page must not fail the batch
        return ""
    if body is None:
        return ""
    _drop_boilerplate_blocks(body)
    etree.strip_tags(body, "ref")
    return _paragraphs(xmltotxt(body, include_formatting=False))


def _drop_boilerplate_blocks(body: etree._Element) -> None:
    """Remove furniture blocks from trafilatura's output tree (links still marked as `<ref>`)."""
    for block in list(body.iter(*_FILTERED_BLOCKS)):
        text = "".join(block.itertext())
        drop = is_boilerplate_text(text)
        if not drop and block.tag in _LINK_CHECKED_BLOCKS:
            chars = len(folded(text))
            link_chars = sum(len(folded("".join(ref.itertext()))) for ref in block.iter("ref"))
            drop = is_link_block(chars, link_chars)
        parent = block.getparent()
        if drop and parent is not None:
            parent.remove(block)


def _paragraphs(text: str) -> str:
    """One block a line becomes one block a paragraph; list items and table rows stay together."""
    out: list[str] = []
    previous = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        same_run = (line.startswith("- ") and previous.startswith("- ")) or (
            line.startswith("|") and previous.startswith("|")
        )
        out.append("\n" if same_run else "\n\n")
        out.append(line)
        previous = line
    return "".join(out).strip()


def _lead_paragraph(tree: HtmlElement) -> str | None:
    """A lead/summary block right under the first `<h1>`, which extractors tend to prune as a teaser."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return None
    after = (e for e in _following(h1) if isinstance(e.tag, str))
    for count, element in enumerate(after):
        if count > _LEAD_WINDOW:
            return None
        if element.tag not in _LEAD_TAGS:
            continue
        if not _LEAD_CLASS.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
            continue
        if any(ancestor.tag == "a" for ancestor in element.iterancestors()):
            continue
        text = folded(element.text_content())
        if not _LEAD_MIN_CHARS <= len(text) <= _LEAD_MAX_CHARS:
            continue
        link_chars = sum(len(folded(a.text_content())) for a in element.iter("a"))
        if link_chars <= _LEAD_MAX_LINK_SHARE * len(text):
            return text
    return None


def _following(element: HtmlElement) -> Iterator[HtmlElement]:
    """Elements after `element` in document order (its descendants excluded), without recursion."""
    node = element
    while node is not None:
        for sibling in node.itersiblings():
            yield sibling
            yield from sibling.iterdescendants()
        node = node.getparent()


def visible_text(markup: str) -> str:
    """Every visible string, one block a line: the fallback when no article can be found.

    beautifulsoup4's lxml builder streams parser events instead of letting libxml2 build the
    tree, so it keeps text that sits deeper than libxml2's nesting limit.
    """
    # Both warnings are about the input, which the record already describes: a page that is
    # XML, or one so short it looks like a file name or URL.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "lxml")
    for element in soup.find_all(_NOT_TEXT):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    if soup.title:
        soup.title.decompose()
    lines = (folded(line) for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line and not is_boilerplate_text(line))
