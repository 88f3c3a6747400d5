"""Text from a user or a report, made safe for each place a drawing or a page puts it.

A label, a node name, a formula, a cross-check's row: each reaches one of five sinks, and each
sink has its own rules, so each has one helper here (and nothing else escapes text by hand):

* :func:`dot_text`: a quoted DOT string (a plain label, an edge label, a cluster title);
* :func:`dot_record`: a field of a Graphviz ``shape=record`` label;
* :func:`dot_html`: the text inside a Graphviz HTML-like label (``<<TABLE>...>``);
* :func:`page_html`: text or an attribute value in the explorer's HTML;
* :func:`script_json`: data written as JSON inside the explorer's ``<script>``.

Graphviz's SVG escapes what it draws; the explorer inlines that SVG as it is.

Every helper first makes the text :func:`visible`: a control character (NUL, ESC, ...), a lone
surrogate or a noncharacter is written as its Python escape (``\\x00``, ``\\ud800``), since
XML, SVG and UTF-8 cannot carry them; the drawing helpers also :func:`shorten` text to
``LABEL_CHARS`` characters, since ``dot`` refuses a string longer than 16 kB.

>>> dot_html('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
>>> visible("a\\x00b\\ud800")
'a\\\\x00b\\\\ud800'
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

import graphviz

__all__ = ["visible", "shorten", "dot_text", "dot_record", "dot_html", "page_html",
           "script_json", "LABEL_CHARS"]

LABEL_CHARS = 200      # a drawn label's most characters; dot refuses strings over 16,384 bytes

# C0 and C1 controls, DEL, lone surrogates, and the noncharacters XML forbids.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_RECORD = re.compile(r"([{}|<>])")


def _escape_one(m: re.Match) -> str:
    c = m.group(0)
    return repr(c)[1:-1] if unicodedata.category(c) == "Cc" else f"\\u{ord(c):04x}"


def visible(text: Any) -> str:
    """``str(text)`` with each character no page or drawing can hold written as its escape."""
    return _INVISIBLE.sub(_escape_one, str(text))


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """text cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (+{len(text) - limit:,} characters)"


def dot_text(text: Any) -> str:
    """A plain DOT string's content: shown as written, never read as an HTML-like label
    (``<...>``), a backslash escape (``\\N``, ``\\l``) or an HTML entity (``&lt;``).

    graphviz quotes it and escapes its double quotes; Graphviz reads ``&amp;`` as ``&``.

    >>> print(dot_text(r"<b>\\N&lt;</b>"))
    <b>\\\\N&amp;lt;</b>
    """
    text = shorten(visible(text)).replace("\\", "\\\\").replace("&", "&amp;")
    return graphviz.nohtml(text)


def dot_record(text: Any) -> str:
    """A field of a ``shape=record`` label: also ``{ } | < >`` (which split fields) escaped.

    >>> print(dot_record("a|b{c}"))
    a\\|b\\{c\\}
    """
    return graphviz.nohtml(_RECORD.sub(r"\\\1", dot_text(text)))


def dot_html(text: Any) -> str:
    """Text inside a Graphviz HTML-like label: an XML text node (``& < > " '`` escaped), its
    backslashes doubled (Graphviz reads ``\\N``, ``\\G`` ... there too, after the entities).

    >>> print(dot_html(r"<b>\\N"))
    &lt;b&gt;\\\\N
    """
    return html.escape(shorten(visible(text)).replace("\\", "\\\\"), quote=True)


def page_html(text: Any) -> str:
    """Text or a quoted attribute value in an HTML page (not shortened: the page scrolls)."""
    return html.escape(visible(text), quote=True)


def script_json(data: Any) -> str:
    """``data`` as JSON for a ``<script type="application/json">`` element, its strings made
    :func:`visible`: ``<``, ``>`` and ``&`` are ``\\u`` escapes, so no ``</script>`` or
    ``<!--`` can end or change the element.

    >>> script_json({"name": "</script><script>alert(1)</script>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(_visible_strings(data), ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _visible_strings(data: Any) -> Any:
    """A copy of nested dicts and lists (JSON data, a few levels deep) with visible strings."""
    if isinstance(data, str):
        return visible(data)
    if isinstance(data, dict):
        return {visible(k): _visible_strings(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_visible_strings(v) for v in data]
    return data
