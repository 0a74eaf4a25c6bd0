"""Parsing XML returns safely.

Returns come from outside the authority's control as often as inside it, so the parser refuses
any document type declaration (which is how entity-expansion bombs such as "billion laughs" and
external-entity fetches are written), never fetches anything, and refuses files over a size cap
before reading them.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from .report import SourceError

MAX_XML_BYTES = 256 * 1024 * 1024


def parse_xml(path: Path, max_bytes: int = MAX_XML_BYTES) -> Element:
    """The root element, or a SourceError that says why the file was refused."""
    try:
        import defusedxml.ElementTree as SafeET
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - depends on the installation
        raise SourceError("reading XML needs the 'sources' extra: "
                          "pip install 'casecheck[sources]'") from None
    if not path.is_file():
        raise SourceError(f"{path.name}: file not found")
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(f"{path.name}: {size} bytes is over the {max_bytes}-byte limit for "
                          "an XML return; raise the limit if the file is genuine")
    try:
        with path.open("rb") as fh:
            tree = SafeET.parse(fh, forbid_dtd=True, forbid_entities=True,
                                forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceError(f"{path.name}: refused: the document declares a DTD or entities "
                          f"({type(exc).__name__}), which casecheck never expands or "
                          "fetches") from None
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise SourceError(f"{path.name}:{line}: not well-formed XML (column {column})") from None
    return tree.getroot()


def local(tag: str) -> str:
    """A tag without its namespace, so that namespaced and plain returns read the same."""
    return tag.rsplit("}", 1)[-1]


def leaf_text(element: Element, name: str) -> str:
    """Text of the first direct child called ``name``, or ``""``."""
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def children(element: Element, name: str) -> list[Element]:
    return [c for c in element if local(c.tag) == name]
