"""The seeds' written deliverables: which Markdown source makes which PDF, and the include directives.

Every deliverable's text lives once, in Markdown under docs/. A deliverable source
(`docs/deliverables/*.md`) holds only the text unique to that document and pulls the rest from the
task pages with include directives, so an edit of a task page flows into the PDF. A directive is a
paragraph made of one Markdown link, which GitHub shows as a link to what is included:

    [Include: Answers](../tf1_gan_parallel.md#answers)
        the body of that section (its heading line dropped); its sub-headings are shifted so the
        section sits one level below the heading that precedes the directive;
    [Include code: exam_torch.py](../../tf1_molecules/exam_torch.py)
        the file's text as a fenced code block (language from the extension); a file that exists but
        cannot be read is an error; `make report` turns an absent one into a visible note and a warning;
    [Include code, no module docstring: exam_torch.py](../../tf1_molecules/exam_torch.py)
        the same without the module's docstring (which speaks to the repository's developers).

Anchors are GitHub's heading ids (`slug`). A missing file or anchor is an error naming the source
file, its line and the reason (`DocumentError`). Links and images are rebased so that the resolved
Markdown, written under reports/, still points at the same files.

Stdlib only and Python 3.6 compatible: the 3.6 venv resolves the sources, the engine's venv renders them.
"""
import collections
import os
import re

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))



def deliverables():
    """Every task's deliverable documents (`common.task.Deliverable`: task, output path under reports/, source
    under the repo root, page limit or None, seed, description), in registry order: the tasks declare them."""
    from common import task  # pylint: disable=import-outside-toplevel  (imports the task packages)
    return task.deliverables()


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_DIRECTIVE = re.compile(r"^\[Include( code(?:, no module docstring)?)?:\s*([^\]]*)\]\(([^)#\s]*)(?:#([^)\s]+))?\)\s*$")
_LINK = re.compile(r"(!?\[(?:[^\[\]]|\[[^\]]*\])*\])\(([^)\s]+)\)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LANGUAGES = {".py": "python", ".sh": "bash", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".md": "markdown"}


class DocumentError(ValueError):
    """A deliverable source that cannot be resolved: the message names the file, line and reason."""


def slug(heading_text):
    """GitHub's heading id: markup dropped, lower case, punctuation removed, spaces -> hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading_text)  # links -> their text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def _is_fence_toggle(line, fence):
    """(new fence state) for one line: opening/closing ``` or ~~~ fences."""
    match = _FENCE.match(line)
    if not match:
        return fence
    marker = match.group(1)
    if fence is None:
        return marker
    if marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip()[len(marker):].strip():
        return None
    return fence


def headings(lines):
    """[(line index, level, text, slug)] of the ATX headings outside fenced code, slugs made unique."""
    out, seen, fence = [], collections.Counter(), None
    for index, line in enumerate(lines):
        new_fence = _is_fence_toggle(line, fence)
        if fence is None and new_fence is None:
            match = _HEADING.match(line)
            if match:
                base = slug(match.group(2))
                name = base if not seen[base] else "%s-%d" % (base, seen[base])
                seen[base] += 1
                out.append((index, len(match.group(1)), match.group(2), name))
        fence = new_fence
    return out


def section(lines, anchor, where):
    """(level, body lines) of the section whose heading id is `anchor`; body = up to the next heading of
    the same or a higher level. `where` names the file for the error message."""
    found = headings(lines)
    for position, (index, level, _, name) in enumerate(found):
        if name == anchor:
            end = len(lines)
            for later_index, later_level, _, _ in found[position + 1:]:
                if later_level <= level:
                    end = later_index
                    break
            return level, lines[index + 1:end]
    raise DocumentError("%s: no heading with id #%s (ids: %s)" % (where, anchor, ", ".join(n for _, _, _, n in found)))


def shift_headings(lines, by):
    """Every ATX heading outside fenced code moved `by` levels (clamped to 1..6)."""
    out, fence = [], None
    for line in lines:
        new_fence = _is_fence_toggle(line, fence)
        match = _HEADING.match(line) if fence is None and new_fence is None else None
        if match:
            level = min(6, max(1, len(match.group(1)) + by))
            line = "#" * level + " " + match.group(2)
        out.append(line)
        fence = new_fence
    return out


def _is_external(target):
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:|/)", target, re.I))


def _rebase_links(line, source_path, out_dir):
    """Links/images relative to `source_path` -> relative to `out_dir`; in-page anchors keep their page."""
    def fix(match):
        label, target = match.group(1), match.group(2)
        if _is_external(target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        absolute = os.path.normpath(os.path.join(os.path.dirname(source_path), path)) if path else source_path
        new = os.path.relpath(absolute, out_dir).replace(os.sep, "/")
        return "%s(%s%s)" % (label, new, "#" + anchor if anchor else "")

    # Leave code spans alone: split them out, fix the rest, put them back.
    pieces, last, out = [], 0, []
    for match in _CODE_SPAN.finditer(line):
        pieces.append((line[last:match.start()], match.group(0)))
        last = match.end()
    pieces.append((line[last:], ""))
    for text, code in pieces:
        out.append(_LINK.sub(fix, text) + code)
    return "".join(out)


def strip_module_docstring(text):
    """Python source without its module docstring (the lines up to the closing quotes and one blank line)."""
    match = re.match(r'^\s*(?:[rRuU]?("""|\'\'\')).*?\1[ \t]*\n(?:[ \t]*\n)?', text, re.S)
    return text[match.end():] if match else text


def code_block(path, where, docstring=True):
    """A fenced code block with the text of `path` (UTF-8); DocumentError if it cannot be read.
    docstring=False drops a Python module's docstring (it talks to the repository's developers)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        raise DocumentError("%s: cannot include %s: %s" % (where, os.path.relpath(path, REPO_ROOT), err))
    if not docstring:
        text = strip_module_docstring(text)
    if not text.strip():
        raise DocumentError("%s: %s is empty" % (where, os.path.relpath(path, REPO_ROOT)))
    fence = "```"
    while fence in text:
        fence += "`"
    language = _LANGUAGES.get(os.path.splitext(path)[1], "")
    return [fence + language] + text.rstrip("\n").split("\n") + [fence]


def resolve(source_path, out_dir, missing=None, _depth=0, _lines=None, _context=0):
    """The Markdown of `source_path` with every include directive expanded, links relative to `out_dir`.

    Returns a list of lines. Raises DocumentError (file, line, reason) on a missing file or heading, and
    on a code file that cannot be read. With a `missing` list, a code include whose file does not exist
    becomes a visible "missing from this checkout" note and its reason is appended to the list.
    """
    if _depth > 8:
        raise DocumentError("%s: includes nested more than 8 deep (a cycle?)" % source_path)
    if _lines is None:
        try:
            with open(source_path, encoding="utf-8") as handle:
                _lines = handle.read().split("\n")
        except (OSError, UnicodeDecodeError) as err:
            raise DocumentError("cannot read %s: %s" % (source_path, err))
    rel_source = os.path.relpath(source_path, REPO_ROOT)
    out, fence, context = [], None, _context
    for number, line in enumerate(_lines, 1):
        new_fence = _is_fence_toggle(line, fence)
        in_code = fence is not None or new_fence is not None
        fence = new_fence
        if in_code:
            out.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            context = len(heading.group(1))
        directive = _DIRECTIVE.match(line)
        if not directive:
            out.append(_rebase_links(line, source_path, out_dir))
            continue
        where = "%s line %d" % (rel_source, number)
        is_code, _, target, anchor = directive.groups()
        target_path = os.path.normpath(os.path.join(os.path.dirname(source_path), target))
        if is_code:
            if not os.path.exists(target_path) and missing is not None:
                # Loud in the document and in `make report`'s output, never silent (see the module doc).
                rel = os.path.relpath(target_path, REPO_ROOT)
                missing.append("%s: %s is not in this checkout" % (where, rel))
                out.append("> **Missing from this checkout:** `%s` (included here by `%s`)." % (rel, where))
                continue
            out.extend(code_block(target_path, where, docstring="docstring" not in is_code))
            continue
        if not anchor:
            raise DocumentError("%s: an include needs a #heading-id (%s)" % (where, target))
        try:
            with open(target_path, encoding="utf-8") as handle:
                target_lines = handle.read().split("\n")
        except (OSError, UnicodeDecodeError) as err:
            raise DocumentError("%s: cannot include %s: %s" % (where, target, err))
        level, body = section(target_lines, anchor, where + " -> " + os.path.relpath(target_path, REPO_ROOT))
        body = shift_headings(body, context + 1 - (level + 1))
        out.extend(resolve(target_path, out_dir, missing, _depth + 1, body, context))
    return out


def image_paths(markdown_lines):
    """Targets of the images (`![alt](path)`) outside fenced code, in order (a `#crop=...` fragment dropped)."""
    found, fence = [], None
    for line in markdown_lines:
        new_fence = _is_fence_toggle(line, fence)
        if fence is None and new_fence is None:
            found += [m.group(2).split("#")[0] for m in _LINK.finditer(line) if m.group(1).startswith("!")]
        fence = new_fence
    return found


def plain_text(markdown):
    """Markdown -> the words a reader sees (for word and character counts): markup and link targets dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s{0,3}(#{1,6}|>|[*+-]|\d+\.)\s+", "", text, flags=re.M)
    return re.sub(r"[*_`]", "", text)


def word_count(markdown):
    """Words as a reader counts them: whitespace-separated tokens containing a letter or digit."""
    return sum(1 for token in plain_text(markdown).split() if re.search(r"\w", token))
