"""Blocks that are page furniture even when they sit inside the article container.

Main-text extractors find the article region well but keep what editors and CMSs put inside
it: "Read more: …" links to other stories, newsletter prompts, "Updated on 12.03.2022",
photo credits, copyright lines, "No comments". Such a block says nothing about the article,
and its wording is stable across sites and languages, so it can be recognised from its text
alone (plus its link density) without knowing the site.
"""

from __future__ import annotations

import re

from tasks.whitespace import folded

# Phrases that introduce a link to another article ("Read also: <headline>").
_TEASER_PHRASES = (
    r"read (?:more|also|next)", r"also read", r"see also", r"further reading",
    r"related(?: articles?| stories| posts| news| content)?", r"more on (?:this|that)(?: topic| story)?",
    r"you (?:may|might) also like", r"recommended(?: for you)?",
    r"auch lesen", r"lesen sie (?:auch|mehr|hier)", r"mehr (?:zum thema|themen|dazu|lesen)",
    r"weitere (?:artikel|beiträge|themen|infos?|informationen)(?: zum thema)?",
    r"das könnte (?:sie|dich) auch interessieren", r"weiterlesen", r"siehe auch", r"zum thema",
    r"passend dazu", r"auch interessant",
    r"lea(?: también| más)?", r"lee también", r"le puede interesar", r"te puede interesar",
    r"leer más", r"ver (?:también|más)", r"noticias relacionadas",
    r"(?:à )?lire (?:aussi|également|la suite)", r"(?:à )?voir aussi", r"sur le même sujet",
    r"czytaj (?:też|także|również|więcej)", r"zobacz (?:też|także|również)",
    r"leggi anche", r"vedi anche", r"leia (?:também|mais)", r"veja também",
    r"lees ook", r"zie ook", r"læs også", r"les også", r"läs också",
)
# Headings of link lists that follow an article.
_LIST_HEADINGS = (
    r"weitere artikel zum thema", r"kommentierte artikel", r"beiträge aus dem forum",
    r"meistgelesen(?:e artikel)?", r"most (?:read|popular)", r"popular (?:posts|articles)",
    r"latest (?:news|posts|articles)", r"neueste (?:artikel|beiträge)", r"articles les plus lus",
)
_TEASER_LEAD = re.compile(
    r"^(?:>>\s*)?(?:%s)\s*(?::|\.\.\.|…|»|>>|\||-|–)" % "|".join(_TEASER_PHRASES), re.IGNORECASE
)
_TEASER_ALONE = re.compile(r"^(?:%s)\W*$" % "|".join(_TEASER_PHRASES + _LIST_HEADINGS), re.IGNORECASE)

# Blocks that are nothing but a widget label.
_WIDGET = re.compile(
    r"^(?:(?:table of )?contents|inhalt(?:sverzeichnis)?|sommaire|índice"
    r"|(?:sign up|subscribe)(?: (?:to|for))?(?: our| the)? newsletter.*"
    r"|newsletter(?: abonnieren| bestellen| anmelden)?|zum newsletter anmelden|jetzt (?:newsletter )?abonnieren"
    r"|(?:no|keine|\d+) (?:comments?|kommentare?|commentaires?|comentarios?)"
    r"|(?:leave a|write a|post a|schreibe einen|kommentar schreiben).*"
    r"|(?:share|teilen|partager|compartir)(?: (?:this|on|via|article|artikel|auf)\b.*)?|tweet|print|drucken"
    r"|advertisement|anzeige|werbung|publicité|publicidad|sponsored)\W*$",
    re.IGNORECASE,
)
# "Label: value" lines of article metadata and credits.
_META_LABEL = re.compile(
    r"^(?:categor(?:y|ies|ía|ie)|kategorien?|rubrik|tags?|schlagw(?:örter|orte)|stichwörter|mots[- ]clés"
    r"|etiquetas|filed under|posted in|(?:last )?updated(?: on)?|(?:zuletzt )?aktualisiert(?: am)?"
    r"|letzte (?:änderung|aktualisierung)(?: am)?|stand|mis à jour(?: le)?|actualizado|last modified"
    r"|news date|published(?: on)?|veröffentlicht(?: am)?|publié le|publicado"
    r"|(?:photo|foto|bild|image|picture|crédits? photos?|credits?|bildquelle|quelle|source|fuente)s?"
    r"|fot\.|phot\.)\s*:",
    re.IGNORECASE,
)
# A date-stamp line: "Aktualisiert am 17.01.2021", "Last updated 2022-03-01 10:00".
_DATE_STAMP = re.compile(
    r"^(?:(?:last )?updated(?: on)?|(?:zuletzt )?aktualisiert(?: am)?|letzte (?:änderung|aktualisierung)(?: am)?"
    r"|stand(?: vom)?|published(?: on)?|veröffentlicht(?: am)?|posted(?: on)?|publié le|mis à jour le"
    r"|publicado(?: el)?|actualizado(?: el)?)\s*:?\s*[\d.,/ :-]*\d[\d.,/ :-]*(?:uhr|h)?\.?$",
    re.IGNORECASE,
)
_SHORT_NOTICE = re.compile(
    r"^(?:(?:keine|no|\d+) (?:kommentare?|comments?)\b|(?:anzeige|werbung|advertisement|sponsored|publicidad|publicité)\b\W)"
    r"|newsletter",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b)|all rights reserved|alle rechte vorbehalten|todos los derechos reservados"
    r"|tous droits réservés|copyrighted property|written permission",
    re.IGNORECASE,
)

# A short block that is mostly link text is navigation or a teaser for another page.
LINK_DENSITY_LIMIT = 0.8
_LINK_BLOCK_MAX_CHARS = 200


def is_boilerplate_text(text: str) -> bool:
    """Whether a block with this text is page furniture rather than article content."""
    line = folded(text)
    if not line:
        return False
    if _TEASER_ALONE.match(line) or _WIDGET.match(line) or _DATE_STAMP.match(line):
        return True
    if len(line) < 150 and _SHORT_NOTICE.search(line):
        return True
    if len(line) < 300 and (_TEASER_LEAD.match(line) or _COPYRIGHT.search(line)):
        return True
    return len(line) < 120 and bool(_META_LABEL.match(line))


def is_link_block(text_chars: int, link_chars: int) -> bool:
    """Whether a short block is (almost) all link text."""
    return 0 < text_chars < _LINK_BLOCK_MAX_CHARS and link_chars > LINK_DENSITY_LIMIT * text_chars
