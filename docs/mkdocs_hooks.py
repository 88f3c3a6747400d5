"""mkdocs hooks (mkdocs.yml `hooks:`): what the site shows of the examples it renders.

A docstring's doctest may need a directive such as ``# doctest: +ELLIPSIS``; the reader of the
site needs only the example. The directive comment is dropped from the highlighted HTML (so the
copy button does not copy it either); the source, and so the doctest, keeps it.
"""
import re

# Pygments writes a comment as <span class="c1">...</span>; the spaces before it go too.
DIRECTIVE = re.compile(r'(?:[ \t]|<span class="w">[ \t]*</span>)*'
                       r'<span class="c1">#\s*doctest:[^<]*</span>')


def strip_doctest_directives(html: str) -> str:
    """The HTML without the ``# doctest: ...`` comments of its highlighted code."""
    return DIRECTIVE.sub("", html)


def on_page_content(html, page, config, files):
    return strip_doctest_directives(html)
