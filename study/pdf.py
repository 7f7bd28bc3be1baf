"""The one adapter for fpdf2: a study guide's Markdown as a printable PDF.

Markdown is rendered to HTML by markdown-it-py and laid out by fpdf2's HTML
subset (headings, lists, bold, links), so the moments stay clickable links to
the player. fpdf2's built-in fonts cover Latin-1 only: a lecture's words in any
other script need a Unicode TrueType font, so DejaVu Sans is used where one is
found (matplotlib ships it; Debian has it in fonts-dejavu); without one, the
built-in Helvetica is used and characters outside Latin-1 are spelt in ASCII
where they have a spelling ("\u201c" -> '"') and shown as "?" where they do not.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from lectern.artifacts import write_atomic

# Typographic marks the models and the guide write, as Latin-1 has them.
_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
                        "\u2022": "-"})
_SYSTEM_FONTS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF",
                 "/usr/share/fonts/dejavu")


@functools.lru_cache(maxsize=1)
def unicode_font() -> Path | None:
    """A folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf, or None."""
    places = list(_SYSTEM_FONTS)
    try:
        import matplotlib
        places.insert(0, os.path.join(matplotlib.get_data_path(), "fonts", "ttf"))
    except ImportError:
        pass
    for place in places:
        p = Path(place)
        if (p / "DejaVuSans.ttf").is_file() and (p / "DejaVuSans-Bold.ttf").is_file():
            return p
    return None


def markdown_to_pdf(markdown: str, out: Path, title: str = "") -> Path:
    """Write `markdown` to `out` as an A4 PDF (atomically: a reader never sees half a file)."""
    from fpdf import FPDF
    from markdown_it import MarkdownIt

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Lectern")
    font = unicode_font()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(font / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    else:
        family = "Helvetica"
        markdown = markdown.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")
    pdf.add_page()
    pdf.set_font(family, size=11)
    html = MarkdownIt().render(markdown)
    pdf.write_html(html, font_family=family)
    write_atomic(Path(out), bytes(pdf.output()))
    return Path(out)
