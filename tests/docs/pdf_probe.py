"""What a reader of a PDF sees, as JSON, read with pypdf in the document engine's environment.

    .tools-docs/bin/python tests/docs/pdf_probe.py A.pdf [B.pdf ...]   ->  {"A.pdf": {...}, ...}

Per file: "pages" (count), "text" (each page's extracted text), "images" (how many pictures each page
draws), "image_digests" (their PDF object numbers: one picture drawn twice has one number),
"size" ([width, height] of each page in points), "outside" ([page, text, x, y] of every text run whose
origin lies off its page), "small" ([page, font, size, text] of every text run drawn below SMALL points, maths
fonts aside: their sub- and superscripts are small by design) and "suspects" (whether the catalog's MarkInfo
says /Suspects, which poppler 22.12 reports as a syntax error). The tests call it through `pdfs.probe` (tests/docs/pdfs.py): pypdf is installed
with the engine (requirements-docs.txt), not in the TensorFlow venv, and no system tool (poppler) is needed.
"""
import json
import sys

import pypdf

SMALL = 6.5  # points: the smallest text a printed page may show (wide tables use 6.6 pt)


def _origin(cm, tm):
    """Text-space origin (0, 0) through the text matrix and the current transformation matrix."""
    x, y = tm[4], tm[5]
    return cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]


def image_ids(resources, seen=None):
    """Object numbers of the image XObjects a page draws (forms followed): one picture drawn twice is one id."""
    seen = set() if seen is None else seen
    xobjects = resources.get("/XObject") if resources else None
    found = []
    for ref in (xobjects.get_object().values() if xobjects else []):
        key = getattr(ref, "idnum", id(ref))
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            found.append(key)
        elif obj.get("/Subtype") == "/Form" and key not in seen:
            seen.add(key)
            found += image_ids(obj.get("/Resources"), seen)
    return found


def _size(cm, tm, font_size):
    """The drawn size of text: font size times the scale of the text and transformation matrices."""
    a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
    c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
    return font_size * abs(a * d - b * c) ** 0.5


def probe(path):
    reader = pypdf.PdfReader(path)
    mark_info = reader.trailer["/Root"].get("/MarkInfo")
    out = {"pages": len(reader.pages), "text": [], "images": [], "image_digests": [], "size": [], "outside": [],
           "small": [], "suspects": bool(mark_info) and "/Suspects" in mark_info.get_object()}
    for number, page in enumerate(reader.pages, 1):
        box = page.mediabox
        left, bottom, right, top = float(box.left), float(box.bottom), float(box.right), float(box.top)
        outside, small = [], []

        def visit(text, cm, tm, font_dict, font_size, number=number, outside=outside, small=small):
            if not text.strip():
                return
            x, y = _origin(cm, tm)
            if not (left - 0.5 <= x <= right + 0.5 and bottom - 0.5 <= y <= top + 0.5):
                outside.append([number, text, round(x, 1), round(y, 1)])
            font = str((font_dict or {}).get("/BaseFont", "?")).split("+")[-1]
            size = _size(cm, tm, font_size)
            if size < SMALL and "Math" not in font:
                small.append([number, font, round(size, 1), text.strip()[:40]])

        out["text"].append(page.extract_text(visitor_text=visit))
        ids = image_ids(page.get("/Resources"))
        out["images"].append(len(ids))
        out["image_digests"].append(sorted(ids))
        out["size"].append([right - left, top - bottom])
        out["outside"] += outside
        out["small"] += small
    return out


def main(paths):
    json.dump({path: probe(path) for path in paths}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
