"""Title, date, author, language and canonical URL from a page's markup.

Pages state these in several places of uneven reliability; each field reads its sources in
order of how deliberately they are set (Open Graph / JSON-LD written for crawlers first,
visible markup last). Only the parsed tree is read: a few tree walks, plus htmldate's quick
(non-extensive) search when no date markup is there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime

from htmldate import find_date
from lxml.html import HtmlElement

from tasks.whitespace import folded

# " | Site", " - Site", " – Site", " — Site", " :: Site", " · Site", " • Site"
_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|•|»)\s+")
_DASHES = frozenset("-–—·")  # also used inside headlines
_SITE_SUFFIX_MAX_WORDS = 5
_DASH_SUFFIX_MAX_WORDS = 3
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:$|T|\D)")
_DAY_FIRST_DATE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_EARLIEST_YEAR, _LATEST_YEAR = 1990, 2100
_LANGUAGE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")
_DATE_META_NAMES = (
    "article:published_time", "og:published_time", "article:published", "datepublished", "date",
    "pubdate", "publishdate", "publish-date", "publish_date", "publication_date", "dc.date",
    "dc.date.issued", "dc.date.created", "dcterms.date", "dcterms.issued", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "article.published", "citation_publication_date", "citation_date",
)
_AUTHOR_META_NAMES = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author")
_JSON_LD_MAX_NODES = 2000


@dataclass
class PageMetadata:
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None


def page_metadata(tree: HtmlElement) -> PageMetadata:
    """Every metadata field that the page states; None for the ones it does not."""
    meta = _meta_values(tree)
    json_ld = _json_ld_objects(tree)
    return PageMetadata(
        title=page_title(tree, meta),
        published=_published(tree, meta, json_ld),
        author=_author(meta, json_ld),
        canonical_url=_canonical_url(tree, meta),
        language_hint=_language_hint(tree, meta),
    )


def _meta_values(tree: HtmlElement) -> dict[str, str]:
    """First non-empty content of each `<meta>` by lowercased name/property/itemprop/http-equiv."""
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = folded(element.get("content") or "")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (element.get(attribute) or "").strip().lower()
            if key:
                values.setdefault(key, content)
    return values


def page_title(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """og:title (or twitter:title), else `<title>`, else the first `<h1>`, without a site name."""
    candidates = [meta.get("og:title"), meta.get("twitter:title")]
    # Only the document's own <title>: inline SVG icons carry <title>s of their own.
    candidates += [_text(element) for element in tree.xpath("//head/title")][:1]
    candidates += [_text(element) for element in tree.iter("h1")][:1]
    for candidate in candidates:
        if candidate:
            return strip_site_name(candidate, meta.get("og:site_name"))
    return None


def strip_site_name(title: str, site_name: str | None = None) -> str:
    """"Harbour reopens | Daily News" → "Harbour reopens"; a long last part belongs to the title.

    Parts equal to og:site_name go at either end. Without it, one short last part is taken
    for the site name: after a bar-like separator any short part; a dash often belongs to the
    headline itself, so a dash suffix must also be shorter than the rest. Only one part is
    guessed away ("Report 14. - 20. January - SLF").
    """
    title = folded(title)
    site = (site_name or "").casefold().strip()
    guessed = False
    while True:
        matches = list(_TITLE_SEPARATOR.finditer(title))
        if not matches:
            return title
        if site and title[: matches[0].start()].casefold() == site:
            title = title[matches[0].end() :]
            continue
        last = matches[-1]
        head, suffix = title[: last.start()], title[last.end() :]
        if site and suffix.casefold() == site:
            title = head
            continue
        if last.group(0).strip() in _DASHES:
            looks_like_site = len(suffix.split()) <= _DASH_SUFFIX_MAX_WORDS and len(suffix) < len(head)
        else:
            looks_like_site = len(suffix.split()) <= _SITE_SUFFIX_MAX_WORDS
        if guessed or not looks_like_site:
            return title
        title, guessed = head, True


def _published(tree: HtmlElement, meta: dict[str, str], json_ld: list[dict]) -> str | None:
    """Publication date as YYYY-MM-DD: meta tags, JSON-LD, `<time datetime>`, then htmldate."""
    for name in _DATE_META_NAMES:
        found = iso_date(meta.get(name))
        if found:
            return found
    for obj in json_ld:
        found = iso_date(_as_text(obj.get("datePublished")))
        if found:
            return found
    for obj in json_ld:
        found = iso_date(_as_text(obj.get("dateCreated")))
        if found:
            return found
    times = list(tree.iter("time"))
    preferred = [t for t in times if t.get("pubdate") is not None or (t.get("itemprop") or "").lower() == "datepublished"]
    for element in preferred + times:
        found = iso_date(element.get("datetime"))
        if found:
            return found
    return _htmldate(tree)


def _htmldate(tree: HtmlElement) -> str | None:
    """htmldate's quick pass (URL, headers, visible date patterns, ~1 ms) for pages without date markup."""
    try:
        found = find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, RecursionError):
        return None
    return iso_date(found)


def iso_date(value: str | None) -> str | None:
    """YYYY-MM-DD from the common machine-readable date forms; None when no valid date is there."""
    if not value:
        return None
    value = value.strip()
    for pattern, order in ((_ISO_DATE, (1, 2, 3)), (_COMPACT_DATE, (1, 2, 3)), (_DAY_FIRST_DATE, (3, 2, 1))):
        match = pattern.match(value) if pattern is not _DAY_FIRST_DATE else pattern.search(value)
        if match is None:
            continue
        year, month, day = (int(match.group(i)) for i in order)
        if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
            continue
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return _rfc2822_date(value)


def _rfc2822_date(value: str) -> str | None:
    """"Wed, 05 Jan 2022 10:00:00 GMT", the form some CMSs put in meta tags."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date().isoformat() if _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR else None


def _author(meta: dict[str, str], json_ld: list[dict]) -> str | None:
    """meta author (not a profile URL), else the JSON-LD author's name."""
    for name in _AUTHOR_META_NAMES:
        value = meta.get(name)
        if value and not value.startswith(("http://", "https://")):
            return value
    for obj in json_ld:
        name = _person_name(obj.get("author"))
        if name:
            return name
    return None


def _person_name(value: object) -> str | None:
    """Names of a JSON-LD author: a string, a Person object, or a list of either."""
    if isinstance(value, str):
        return folded(value) or None
    if isinstance(value, dict):
        return _person_name(value.get("name")) if isinstance(value.get("name"), str) else None
    if isinstance(value, list):
        names = [name for name in (_person_name(item) for item in value[:10] if not isinstance(item, list)) if name]
        return ", ".join(names) or None
    return None


def _canonical_url(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """`<link rel=canonical>`, else og:url; only absolute http(s) URLs are useful downstream."""
    candidates = [
        link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates.append(meta.get("og:url"))
    for candidate in candidates:
        candidate = (candidate or "").strip()
        if candidate.startswith(("http://", "https://")):
            return candidate
    return None


def _language_hint(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """Primary language subtag of `<html lang>` or content-language, lowercased ("de-DE" → "de")."""
    root = tree.getroottree().getroot()
    candidates = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"), root.get("xml:lang")]
    candidates += [meta.get("content-language"), meta.get("language"), meta.get("dc.language")]
    for candidate in candidates:
        if not candidate:
            continue
        match = _LANGUAGE.match(candidate.split(",")[0].strip())
        if match:
            return match.group(1).lower()
    return None


def _json_ld_objects(tree: HtmlElement) -> list[dict]:
    """Every JSON object in the page's JSON-LD scripts, `@graph` members included, breadth-first."""
    objects: list[dict] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        queue = [data]
        while queue and len(objects) < _JSON_LD_MAX_NODES:
            item = queue.pop(0)
            if isinstance(item, list):
                queue.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                queue.extend(value for key, value in item.items() if key in ("@graph", "mainEntity", "itemListElement"))
    return objects


def _as_text(value: object) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) else None


def _text(element: HtmlElement) -> str | None:
    return folded(element.text_content()) or None
