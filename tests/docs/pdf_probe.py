"""What a reader of a PDF sees, as JSON, read with pypdf in the document engine's environment.

    .tools-docs/bin/python tests/docs/pdf_probe.py A.pdf [B.pdf ...]   ->  {"A.pdf": {...}, ...}

Per file: "pages" (count), "text" (each page's extracted text), "images" (how many pictures each page
draws), "image_digests" (their PDF object numbers: one picture drawn twice has one number),
"size" ([width, height] of each page in points) and "outside" ([page, text, x, y] of every text run whose
origin lies off its page). The tests call it through `pdfs.probe` (tests/docs/pdfs.py): pypdf is installed
with the engine (requirements-docs.txt), not in the TensorFlow venv, and no system tool (poppler) is needed.
"""
import json
import sys

import pypdf


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


def probe(path):
    reader = pypdf.PdfReader(path)
    out = {"pages": len(reader.pages), "text": [], "images": [], "image_digests": [], "size": [], "outside": []}
    for number, page in enumerate(reader.pages, 1):
        box = page.mediabox
        left, bottom, right, top = float(box.left), float(box.bottom), float(box.right), float(box.top)
        outside = []

        def visit(text, cm, tm, font_dict, font_size, number=number, outside=outside):  # noqa: ARG001
            if not text.strip():
                return
            x, y = _origin(cm, tm)
            if not (left - 0.5 <= x <= right + 0.5 and bottom - 0.5 <= y <= top + 0.5):
                outside.append([number, text, round(x, 1), round(y, 1)])

        out["text"].append(page.extract_text(visitor_text=visit))
        ids = image_ids(page.get("/Resources"))
        out["images"].append(len(ids))
        out["image_digests"].append(sorted(ids))
        out["size"].append([right - left, top - bottom])
        out["outside"] += outside
    return out


def main(paths):
    json.dump({path: probe(path) for path in paths}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
