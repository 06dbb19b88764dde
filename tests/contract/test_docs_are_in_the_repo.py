"""The repository explains itself: no file points to a document outside it, and every citation of a
section of docs/ (`docs/iamport-v1.md#cancel`) names a section that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"DESIGN §|DESIGN\.md|reference §|\.\./shared|iamport-v1-api")
CITATION = re.compile(r"docs/([\w-]+\.md)#([\w-]+)((?:, #[\w-]+)*)")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    out = []
    for name in names:
        path = ROOT / name
        if path.suffix in {".png", ".jar"} or not path.is_file():
            continue
        try:
            out.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return out  # type: ignore[return-value]


def anchors(doc: Path) -> set[str]:
    """Explicit `<a id="...">` anchors and GitHub's anchors of the headings."""
    text = doc.read_text(encoding="utf-8")
    found = set(re.findall(r'<a id="([\w-]+)"></a>', text))
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_nothing_points_outside_the_repository():
    this = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path, text in _tracked_text_files()
        if path.resolve() != this
        for match in OUTSIDE.finditer(text)
    ]
    assert offenders == []


def test_every_cited_section_of_docs_exists():
    known: dict[str, set[str]] = {}
    cited = 0
    missing = []
    for path, text in _tracked_text_files():
        for doc, first, more in CITATION.findall(text):
            target = ROOT / "docs" / doc
            assert target.is_file(), f"{path.relative_to(ROOT)} cites docs/{doc}"
            names = known.setdefault(doc, anchors(target))
            for anchor in [first, *re.findall(r"#([\w-]+)", more)]:
                cited += 1
                if anchor not in names:
                    missing.append(f"{path.relative_to(ROOT)}: docs/{doc}#{anchor}")
    assert cited > 80
    assert missing == []


def test_the_conformance_suites_short_citations_name_sections_of_the_i_mport_page():
    text = (ROOT / "tests" / "sandbox" / "test_conformance.py").read_text(encoding="utf-8")
    short = set(re.findall(r"\(#([a-z][\w-]+)", text)) | set(re.findall(r'"#([a-z][\w-]+):', text))
    assert short and short <= anchors(ROOT / "docs" / "iamport-v1.md"), short - anchors(
        ROOT / "docs" / "iamport-v1.md"
    )
