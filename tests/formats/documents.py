"""Generated office documents with known text, and how well an extraction recovered it.

Each document has a body (headings, paragraphs, bulleted and numbered list items, a
table, in a known order), and furniture that must not come back: a running header, a
page-number footer, a footnote and a comment, each carrying a marker word. python-docx
writes the DOCX; LibreOffice converts it to ODT, RTF and EPUB in one call per format.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SENTENCES = {
    "en": [
        "The river rose slowly through the night and reached the old stone bridge by morning.",
        "Several families in the valley decided to move their animals to higher ground.",
        "The council promised to publish a full report on the damage before the winter.",
        "Volunteers from three villages brought food, blankets and dry firewood.",
        "Nobody could remember a flood of this size since the summer of the great storm.",
        "Engineers will inspect the embankment again once the water has gone down.",
        "The school reopened on Thursday, although the playground was still covered in mud.",
        "Farmers expect that the harvest will be smaller than in any of the last ten years.",
    ],
    "de": [
        "Der Fluss stieg in der Nacht langsam an und erreichte am Morgen die alte Steinbrücke.",
        "Mehrere Familien im Tal brachten ihre Tiere auf höher gelegene Weiden.",
        "Der Gemeinderat versprach, vor dem Winter einen ausführlichen Bericht zu veröffentlichen.",
        "Freiwillige aus drei Dörfern brachten Essen, Decken und trockenes Brennholz.",
        "Niemand erinnerte sich an ein Hochwasser dieser Größe seit dem Sommer des großen Sturms.",
        "Ingenieure werden den Damm erneut prüfen, sobald das Wasser zurückgegangen ist.",
        "Die Schule öffnete am Donnerstag wieder, obwohl der Schulhof noch voller Schlamm war.",
        "Die Bauern erwarten eine kleinere Ernte als in jedem der letzten zehn Jahre.",
    ],
    "fr": [
        "La rivière est montée lentement pendant la nuit et a atteint le vieux pont de pierre au matin.",
        "Plusieurs familles de la vallée ont conduit leurs bêtes vers les hauteurs.",
        "Le conseil a promis de publier un rapport complet sur les dégâts avant l'hiver.",
        "Des bénévoles de trois villages ont apporté de la nourriture, des couvertures et du bois sec.",
        "Personne ne se souvenait d'une crue aussi forte depuis l'été de la grande tempête.",
        "Les ingénieurs inspecteront de nouveau la digue dès que l'eau aura baissé.",
        "L'école a rouvert jeudi, même si la cour était encore couverte de boue.",
        "Les agriculteurs s'attendent à une récolte plus faible que ces dix dernières années.",
    ],
    "pl": [
        "Rzeka powoli wzbierała przez całą noc i rano dotarła do starego kamiennego mostu.",
        "Kilka rodzin z doliny przeprowadziło zwierzęta na wyżej położone łąki.",
        "Rada gminy obiecała opublikować pełny raport o szkodach przed zimą.",
        "Wolontariusze z trzech wsi przywieźli jedzenie, koce i suche drewno.",
        "Nikt nie pamiętał tak wielkiej powodzi od lata wielkiej burzy.",
        "Inżynierowie ponownie sprawdzą wał, gdy tylko woda opadnie.",
        "Szkoła została otwarta w czwartek, choć boisko wciąż było pokryte błotem.",
        "Rolnicy spodziewają się zbiorów mniejszych niż w którymkolwiek z ostatnich dziesięciu lat.",
    ],
    "ru": [
        "Река медленно поднималась всю ночь и к утру дошла до старого каменного моста.",
        "Несколько семей из долины перегнали скот на возвышенность.",
        "Совет обещал опубликовать полный отчёт об ущербе до начала зимы.",
        "Добровольцы из трёх деревень привезли еду, одеяла и сухие дрова.",
        "Никто не помнил такого наводнения со времён лета великой бури.",
        "Инженеры снова осмотрят насыпь, как только вода спадёт.",
        "Школа открылась в четверг, хотя двор всё ещё был покрыт грязью.",
        "Фермеры ожидают урожай меньше, чем в любой из последних десяти лет.",
    ],
    "uk": [
        "Річка повільно піднімалася всю ніч і вранці дійшла до старого кам'яного мосту.",
        "Кілька родин з долини перегнали худобу на вищі пасовища.",
        "Рада пообіцяла оприлюднити повний звіт про збитки до зими.",
        "Волонтери з трьох сіл привезли їжу, ковдри та сухі дрова.",
        "Ніхто не пам'ятав такої повені від літа великої бурі.",
        "Інженери знову оглянуть насип, щойно вода спаде.",
        "Школа відчинилася в четвер, хоча подвір'я ще було вкрите багнюкою.",
        "Фермери очікують врожай менший, ніж у будь-якому з останніх десяти років.",
    ],
    "el": [
        "Το ποτάμι ανέβαινε αργά όλη τη νύχτα και το πρωί έφτασε στην παλιά πέτρινη γέφυρα.",
        "Αρκετές οικογένειες της κοιλάδας μετέφεραν τα ζώα τους σε ψηλότερα σημεία.",
        "Το συμβούλιο υποσχέθηκε να δημοσιεύσει πλήρη έκθεση για τις ζημιές πριν από τον χειμώνα.",
        "Εθελοντές από τρία χωριά έφεραν τρόφιμα, κουβέρτες και ξερά ξύλα.",
        "Κανείς δεν θυμόταν πλημμύρα τέτοιου μεγέθους από το καλοκαίρι της μεγάλης καταιγίδας.",
        "Οι μηχανικοί θα επιθεωρήσουν ξανά το ανάχωμα μόλις υποχωρήσει το νερό.",
        "Το σχολείο άνοιξε ξανά την Πέμπτη, αν και η αυλή ήταν ακόμη γεμάτη λάσπη.",
        "Οι αγρότες περιμένουν μικρότερη σοδειά από κάθε άλλη χρονιά της τελευταίας δεκαετίας.",
    ],
}
HEADINGS = {
    "en": ("The flood in the valley", "What comes next"),
    "de": ("Das Hochwasser im Tal", "Wie es weitergeht"),
    "fr": ("La crue dans la vallée", "Et maintenant"),
    "pl": ("Powódź w dolinie", "Co dalej"),
    "ru": ("Наводнение в долине", "Что дальше"),
    "uk": ("Повінь у долині", "Що далі"),
    "el": ("Η πλημμύρα στην κοιλάδα", "Τι ακολουθεί"),
}
AUTHORS = ["Anna Berger", "Jean Dupont", "Олена Коваленко", "Γιώργος Παπαδόπουλος", "Marek Nowak"]


@dataclass
class Spec:
    """One generated document: its body parts in reading order and its furniture markers."""

    name: str
    language: str
    title: str | None
    author: str
    created: dt.date
    heading: str = ""
    body: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    numbered: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    heading2: str = ""
    closing: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> list[str]:
        return [self.heading, *self.body, *self.bullets, *self.numbered, *self.cells, self.heading2, *self.closing]

    @property
    def expected_title(self) -> str:
        return self.title or self.heading


def specs(count: int, seed: int = 15) -> list[Spec]:
    """`count` documents cycling through the languages; every third has no title property."""
    rng = random.Random(seed)
    languages = sorted(SENTENCES)
    result: list[Spec] = []
    for number in range(count):
        language = languages[number % len(languages)]
        pool = SENTENCES[language]
        first, second = HEADINGS[language]

        def paragraph(pool: list[str] = pool) -> str:
            return " ".join(rng.sample(pool, rng.randint(2, 4))) + f" {rng.randint(100, 999999)}."

        result.append(
            Spec(
                name=f"doc{number:02d}-{language}",
                language=language,
                title=None if number % 3 == 2 else f"{first} ({number})",
                author=AUTHORS[number % len(AUTHORS)],
                created=dt.date(2020 + number % 5, 1 + number % 12, 1 + number % 28),
                heading=f"{first} {number}",
                body=[paragraph() for _ in range(rng.randint(3, 6))],
                bullets=[f"{pool[i][:40].strip()} {number}-{i}" for i in range(3)],
                numbered=[f"{pool[i + 3][:30].strip()} {number}-{i}" for i in range(3)],
                cells=[f"R{row}C{column} {pool[row + column][:20].strip()}" for row in range(2) for column in range(3)],
                heading2=second,
                closing=[paragraph() for _ in range(rng.randint(2, 5))],
                furniture=[f"HEADMARK{number}", f"FOOTMARK{number}", f"NOTEMARK{number}", f"COMMENTMARK{number}"],
            )
        )
    return result


def write_docx(spec: Spec, path: Path) -> None:
    """The spec as a DOCX: header, footer with a page number, a footnote and a comment included."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    document = docx.Document()
    properties = document.core_properties
    properties.title = spec.title or ""
    properties.author = spec.author
    properties.created = dt.datetime.combine(spec.created, dt.time(9))
    properties.modified = dt.datetime(2025, 1, 1)
    section = document.sections[0]
    section.header.paragraphs[0].text = f"{spec.furniture[0]} running header"
    footer = section.footer.paragraphs[0]
    footer.text = f"{spec.furniture[1]} page "
    footer._p.append(parse_xml(f'<w:fldSimple {_NS} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    document.add_heading(spec.heading, 1)
    for index, text in enumerate(spec.body):
        paragraph = document.add_paragraph(text if index != 1 else "")
        if index == 1:
            _formatted_runs(paragraph, text)
        if index == 0:
            paragraph._p.append(parse_xml(f'<w:r {_NS}><w:footnoteReference w:id="1"/></w:r>'))
            document.add_comment(paragraph.runs[0], text=f"{spec.furniture[3]} remark", author="Reviewer")
    for text in spec.bullets:
        document.add_paragraph(text, style="List Bullet")
    for text in spec.numbered:
        document.add_paragraph(text, style="List Number")
    table = document.add_table(rows=2, cols=3)
    for index, text in enumerate(spec.cells):
        table.cell(index // 3, index % 3).text = text
    document.add_heading(spec.heading2, 2)
    for text in spec.closing:
        document.add_paragraph(text)
    notes = Part(
        PackURI("/word/footnotes.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        (
            f"<w:footnotes {_NS}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
            "</w:footnote>"
            f'<w:footnote w:id="1"><w:p><w:r><w:t>{spec.furniture[2]} footnote text</w:t></w:r></w:p></w:footnote>'
            "</w:footnotes>"
        ).encode(),
        document.part.package,
    )
    document.part.relate_to(notes, RELATIONSHIP_TYPE.FOOTNOTES)
    document.save(path)


_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _formatted_runs(paragraph: Any, text: str) -> None:
    """The text in runs of changing format (bold, italic, plain), as real documents split it."""
    words = text.split(" ")
    for index, start in enumerate(range(0, len(words), 3)):
        run = paragraph.add_run(" ".join(words[start : start + 3]) + (" " if start + 3 < len(words) else ""))
        run.bold, run.italic = index % 3 == 0, index % 3 == 1


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(sources: list[Path], target: str, out: Path, profile: Path) -> list[Path]:
    """LibreOffice headless conversion of many files in one call; its own profile avoids clashes."""
    binary = soffice()
    assert binary is not None
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            binary,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return [out / f"{source.stem}.{target}" for source in sources]


def folded(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Score:
    recovered: float
    in_order: bool
    furniture_left: bool
    title_right: bool
    author_right: bool


def score(spec: Spec, text: str, title: str | None, author: str | None) -> Score:
    """Share of blocks found as whole paragraphs, their order, leftovers, metadata."""
    extracted = [folded(block) for block in text.split("\n\n")]
    positions = {block: index for index, block in reversed(list(enumerate(extracted)))}
    wanted = [folded(block) for block in spec.blocks]
    found = [positions[block] for block in wanted if block in positions]
    return Score(
        recovered=len(found) / len(wanted),
        in_order=found == sorted(found) and len(found) == len(wanted),
        furniture_left=any(marker in text for marker in spec.furniture),
        title_right=folded(title or "") == folded(spec.expected_title),
        author_right=folded(author or "") == spec.author,
    )


def pptx_blocks(spec: Spec) -> list[str]:
    """Reading order of the deck `write_pptx` makes: each slide's title, text by position, notes."""
    return [
        spec.heading,
        *spec.body,
        *spec.bullets,
        f"Notes one {spec.name}",
        spec.heading2,
        *spec.numbered,
        *spec.cells,
        *spec.closing,
        f"Notes two {spec.name}",
    ]


def write_pptx(spec: Spec, path: Path) -> None:
    """The spec as a two-slide deck; text boxes are added bottom-up so z-order is not reading order."""
    import pptx
    from pptx.util import Inches, Pt

    deck = pptx.Presentation()
    deck.core_properties.title = spec.title or ""
    deck.core_properties.author = spec.author
    deck.core_properties.created = dt.datetime.combine(spec.created, dt.time(9))
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = spec.heading
    frame = first.placeholders[1].text_frame
    frame.text = spec.body[0]
    for text in spec.body[1:]:
        frame.add_paragraph().text = text
    first.placeholders[1].top, first.placeholders[1].height = Inches(1.4), Inches(3)
    for index, text in reversed(list(enumerate(spec.bullets))):
        box = first.shapes.add_textbox(Inches(1), Inches(5 + 0.6 * index), Inches(8), Inches(0.5))
        box.text_frame.text = text
        box.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    for layout_placeholder in deck.slide_layouts[1].placeholders:
        if layout_placeholder.placeholder_format.idx in (11, 12):
            first.shapes.clone_placeholder(layout_placeholder)
    for shape in first.placeholders:
        if shape.placeholder_format.idx == 11:
            shape.text_frame.text = f"{spec.furniture[1]} footer"
        if shape.placeholder_format.idx == 12:
            shape.text_frame.text = "1"
    first.notes_slide.notes_text_frame.text = f"Notes one {spec.name}"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = spec.heading2
    group = second.shapes.add_group_shape()
    for index, text in reversed(list(enumerate(spec.numbered))):
        group.shapes.add_textbox(Inches(1), Inches(1.5 + 0.5 * index), Inches(8), Inches(0.4)).text_frame.text = text
    table = second.shapes.add_table(2, 3, Inches(1), Inches(3.2), Inches(8), Inches(1)).table
    for index, text in enumerate(spec.cells):
        table.cell(index // 3, index % 3).text = text
    for index, text in reversed(list(enumerate(spec.closing))):
        second.shapes.add_textbox(Inches(1), Inches(4.5 + 0.5 * index), Inches(8), Inches(0.4)).text_frame.text = text
    second.notes_slide.notes_text_frame.text = f"Notes two {spec.name}"
    deck.save(path)


def minimal_odt(paragraphs: list[str], title: str = "A title") -> bytes:
    """A small ODT written by hand (mimetype stored first), for tests that need no LibreOffice."""
    import io
    import zipfile

    body = "".join(f"<text:p>{text}</text:p>" for text in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-meta '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
        f"<dc:title>{title}</dc:title></office:meta></office:document-meta>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("meta.xml", meta)
    return out.getvalue()


def minimal_epub(chapters: list[list[str]], title: str = "A book", author: str = "An Author") -> bytes:
    """A small EPUB 3 written by hand, one XHTML file a chapter, for tests that need no LibreOffice."""
    import io
    import zipfile

    manifest = "".join(
        f'<item id="c{n}" href="text/chapter{n}.xhtml" media-type="application/xhtml+xml"/>'
        for n in range(len(chapters))
    )
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:test</dc:identifier><dc:title>{title}</dc:title><dc:creator>{author}</dc:creator>'
        f"<dc:date>2021-06-01</dc:date></metadata><manifest>{manifest}</manifest><spine>{spine}</spine></package>"
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        for n, paragraphs in enumerate(chapters):
            body = "".join(f"<p>{text}</p>" for text in paragraphs)
            archive.writestr(
                f"OEBPS/text/chapter{n}.xhtml",
                '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                f"<head><title>Chapter {n}</title></head><body>{body}</body></html>",
            )
    return out.getvalue()
