"""The layout rules on hand-made lines: columns, furniture and paragraphs, without a PDF."""

from __future__ import annotations

from tasks.formats import pdf_layout as layout
from tasks.formats.pdf_layout import Line

SIZE = 11.0
PITCH = 16.0


def line(text: str, left: float, row: int, right: float | None = None, top: float = 100.0) -> Line:
    y = top + row * PITCH
    return Line(text, left, y, right if right is not None else left + 6 * len(text), y + SIZE, SIZE, y + 9)


def test_two_columns_are_read_column_by_column_under_a_full_width_title() -> None:
    title = line("A title across the page", 90, 0, right=520)
    left = [line(f"left {n}", 90, n + 2, right=290) for n in range(8)]
    right = [line(f"right {n}", 320, n + 2, right=520) for n in range(8)]
    flows = layout.reading_order([title, *sorted(left + right, key=lambda ln: ln.top)], 612)
    assert [[ln.text for ln in f.lines] for f in flows] == [[title.text], [ln.text for ln in left], [ln.text for ln in right]]


def test_single_column_has_no_gutter() -> None:
    lines = [line("x" * 70, 90, n, right=520) for n in range(20)]
    assert layout.find_gutter(lines, 612) is None


def test_running_header_and_page_numbers_are_furniture_body_is_not() -> None:
    pages = []
    for number in range(1, 5):
        header = line("Annual report of the board", 90, 0, top=40)
        body = [line(f"Body line {number}-{n}", 90, n, top=100) for n in range(10)]
        body.append(line("Repeated body line at the same place", 90, 10, top=100))
        footer = line(f"Page {number} of 4", 280, 0, top=745)
        pages.append([header, *body, footer])
    removed = layout.furniture(pages)
    for lines, ids in zip(pages, removed):
        kept = [ln.text for ln in lines if id(ln) not in ids]
        assert "Annual report of the board" not in kept
        assert not any(text.startswith("Page ") for text in kept)
        assert "Repeated body line at the same place" in kept  # no margin apart from the body


def test_paragraphs_split_where_the_next_word_would_have_fitted() -> None:
    flow = [
        line("This line is full to the right edge of the", 90, 0, right=520),
        line("column and goes on here.", 90, 1, right=250),
        line("A new paragraph starts without a gap.", 90, 2, right=400),
    ]
    blocks = layout.paragraphs(flow, 520, 90, layout.leading(flow))
    assert [[ln.text for ln in b] for b in blocks] == [[flow[0].text, flow[1].text], [flow[2].text]]


def test_table_cells_are_read_row_by_row() -> None:
    cells = [
        line("Row one, first cell that", 90, 0, right=280), line("first right", 300, 0, right=400),
        line("wraps", 90, 1, right=130),
        line("Row two, left", 90, 2, right=200), line("second right", 300, 2, right=400),
    ]
    flows = layout.reading_order(cells, 612)
    assert [" ".join(ln.text for ln in f.lines) for f in flows] == [
        "Row one, first cell that wraps", "first right", "Row two, left", "second right",
    ]
    assert all(f.cell for f in flows)
