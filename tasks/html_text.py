"""HTML pages to text and metadata, with beautifulsoup4."""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment

_NOT_TEXT = ("script", "style", "noscript", "template")


@dataclass
class HtmlParts:
    text: str
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None


def extract_html(markup: str) -> HtmlParts:
    """Visible text of a page, one block per line, and its `<title>`."""
    soup = BeautifulSoup(markup, "lxml")
    for element in soup.find_all(_NOT_TEXT):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    return HtmlParts(text=soup.get_text("\n"), title=title or None)
