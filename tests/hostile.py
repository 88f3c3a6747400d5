"""Hostile text for the escaping tests: what a label, a name or a report row may hold."""
from hypothesis import strategies as st

# Each aimed at one sink: a Graphviz HTML-like label with a javascript: link, HTML that runs on
# load, the end of a <script>, DOT's backslash escapes, entities, quotes, record separators.
PAYLOADS = [
    '<<TABLE><TR><TD HREF="javascript:alert(1)">x</TD></TR></TABLE>>',
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "<!--<script>",
    '<a href="javascript:alert(1)">click</a>',
    '"""', "'''", '"', "'", '\\"', "\\", "a\\", r"\N \G \E \l \n",
    "&lt;b&gt;", "&amp;", "&#60;script&#62;", "&bogus;",
    "{a|b}<p>", "x]; evil [label=1", "\u2028\u2029", "\u202etxt.exe",
    "\x00", "\x00" * 10, "\ud800", "\udfff", "\ud800\udc00", "\x1b[31mred", "\x7f\x85",
    "\ufffe\uffff", "a\nb\rc\td",
]

_ALPHABET = st.one_of(st.characters(exclude_categories=()),       # surrogates included
                      st.sampled_from(list("<>&\"'\\|{}[];=/\x00\x1b\n") + ["\ud800"]))


def hostile_text() -> st.SearchStrategy:
    """Short random text (any code point), a payload, a payload inside text, or 100 kB."""
    return st.one_of(
        st.text(_ALPHABET, max_size=40),
        st.sampled_from(PAYLOADS),
        st.tuples(st.text(_ALPHABET, max_size=10), st.sampled_from(PAYLOADS),
                  st.text(_ALPHABET, max_size=10)).map("".join),
        st.sampled_from(["x" * 100_000, "<" * 100_000, "\x00" * 100_000]),
    )
