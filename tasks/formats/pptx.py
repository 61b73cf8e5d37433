"""PowerPoint presentations (PPTX): each slide's title, then its text top to bottom, then its notes.

Slide shapes are stored in z-order (the order they were drawn in), not reading order, so
they are sorted by position: top to bottom, then left to right, groups recursively and
tables cell by row. Slide-number, date and footer placeholders are slide furniture.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.ooxml import check_package, core_metadata, has_main_part

_MAIN_TYPES = (
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    b"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
)


def sniff(data: bytes) -> bool:
    return has_main_part(data, _MAIN_TYPES)


def extract(data: bytes, hints: Hints) -> Extracted:
    check_package(data, "PPTX presentation", _MAIN_TYPES)
    import pptx

    try:
        presentation = pptx.Presentation(io.BytesIO(data))
        paragraphs: list[str] = []
        first_title: str | None = None
        slides = 0
        for slide in presentation.slides:
            slides += 1
            title_shape = slide.shapes.title
            if title_shape is not None and first_title is None:
                first_title = " ".join(title_shape.text_frame.text.split()) or None
            paragraphs.extend(_slide_paragraphs(slide, title_shape))
        title, author, published = core_metadata(presentation.part.package, presentation.core_properties)
    except Rejected:
        raise
    except Exception as error:  # noqa: BLE001 - python-pptx raises anything on a broken package
        raise Rejected(f"corrupt PPTX presentation: {type(error).__name__}: {error}") from None
    if not paragraphs:
        raise Rejected("no text: the PPTX presentation's slides and notes hold no text")
    return Extracted(
        text="\n\n".join(paragraphs),
        title=title or first_title,
        author=author,
        published=published or hints.published,
        pages=slides,
    )


def _slide_paragraphs(slide: Any, title_shape: Any) -> Iterator[str]:
    if title_shape is not None:
        yield from _shape_paragraphs(title_shape)
    title_id = title_shape.shape_id if title_shape is not None else None
    yield from _shapes_paragraphs(shape for shape in slide.shapes if shape.shape_id != title_id)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None:
            yield from _frame_paragraphs(notes)


def _shapes_paragraphs(shapes: Iterable[Any]) -> Iterator[str]:
    for shape in sorted(shapes, key=lambda shape: (shape.top or 0, shape.left or 0)):
        yield from _shape_paragraphs(shape)


def _shape_paragraphs(shape: Any) -> Iterator[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

    if shape.is_placeholder and shape.placeholder_format.type in (
        PP_PLACEHOLDER.SLIDE_NUMBER,
        PP_PLACEHOLDER.DATE,
        PP_PLACEHOLDER.FOOTER,
        PP_PLACEHOLDER.HEADER,
    ):
        return
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        yield from _shapes_paragraphs(shape.shapes)
    elif getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            for cell in row.cells:
                if not cell.is_spanned:
                    yield from _frame_paragraphs(cell.text_frame)
    elif shape.has_text_frame:
        yield from _frame_paragraphs(shape.text_frame)


def _frame_paragraphs(frame: Any) -> Iterator[str]:
    for paragraph in frame.paragraphs:
        text = paragraph.text.replace("\v", "\n").strip()
        if text:
            yield text


FORMAT = FileFormat(name="pptx", extensions=frozenset({".pptx", ".ppsx"}), sniff=sniff, extract=extract, isolated=True)
