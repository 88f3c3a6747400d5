"""A small, safe expression language: text like ``"tanh(x*w + b)"`` → a graph of Values.

Used by ``microgradnn graph --expr ...``. The text is never handed to Python's ``eval``: a
hand-written tokenizer cuts it into numbers, names, operators and parentheses, and a
recursive-descent parser builds the Values directly, one operator at a time. What it accepts:

* numbers (``2``, ``0.5``, ``.5``, ``1e-3``) and variable names (``x``, ``w1``, ``bias``);
* ``+ - * / **`` with Python's precedence (``**`` binds tightest and groups to the right,
  so ``-x**2`` is ``-(x**2)`` and ``2**3**2`` is ``2**9``), unary minus and plus, parentheses;
* one-argument calls of the engine's functions: ``exp log tanh sigmoid relu abs``.

Each variable becomes one leaf Value labelled with its name (a name used twice is the same
leaf, so its gradient accumulates). A mistake raises ``ValueError`` with the expression and a
caret under the offending position.

>>> out, leaves = build("x*y + x", {"x": 2.0, "y": 3.0})
>>> out.backward()
>>> out.data, leaves["x"].grad, leaves["y"].grad
(8.0, 4.0, 2.0)
"""
from __future__ import annotations

import re
from typing import Mapping, NamedTuple

from ..core.engine import Value

#: The functions an expression may call, each a method of Value.
FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "abs")

#: How deeply parentheses, unary signs and powers may nest. The parser recurses once per
#: level of the *text's* nesting (never over a graph), so a cap keeps it far from Python's
#: recursion limit and turns a pathological input into a clear error.
MAX_DEPTH = 100

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/(),])
""", re.VERBOSE)

# Characters people type from other languages, with the hint they need.
_HINTS = {"^": "write powers as **", "=": "an expression has no '='; give values with the variables",
          "[": "use parentheses ( ) for grouping", "{": "use parentheses ( ) for grouping"}


class Token(NamedTuple):
    kind: str      # "number", "name", "op" or "end"
    text: str
    pos: int       # index of the first character in the expression


def _error(text: str, pos: int, message: str) -> ValueError:
    """A ValueError showing the expression with a caret under position `pos`."""
    return ValueError(f"{message} at column {pos + 1}:\n  {text}\n  {' ' * pos}^")


def tokenize(text: str) -> list[Token]:
    """Cut `text` into tokens, ending with an ``end`` token; ValueError on a stray character.

    >>> " ".join(t.text for t in tokenize("2*x**-1"))
    '2 * x ** - 1 '
    >>> tokenize("x")[-1].kind
    'end'
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a str, got {type(text).__name__}")
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = f" ({_HINTS[ch]})" if ch in _HINTS else ""
            raise _error(text, pos, f"unexpected character {ch!r}{hint}")
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the token list; each grammar rule is one method.

    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := ("-" | "+") unary | power
    power := atom ("**" unary)?                 -- right-associative, binds tighter than unary
    atom  := NUMBER | NAME | FUNCTION "(" expr ")" | "(" expr ")"
    """

    def __init__(self, text: str, values: Mapping[str, float]):
        self.text, self.values = text, values
        self.tokens, self.i, self.depth = tokenize(text), 0, 0
        self.leaves: dict[str, Value] = {}

    # --- token helpers ---

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: Token, message: str) -> ValueError:
        return _error(self.text, tok.pos, message)

    def unexpected(self, tok: Token, wanted: str) -> ValueError:
        found = "the end of the expression" if tok.kind == "end" else repr(tok.text)
        return self.fail(tok, f"expected {wanted}, found {found}")

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(tok, f"expression nested more than {MAX_DEPTH} levels deep")

    # --- grammar rules ---

    def parse(self) -> Value:
        if self.peek().kind == "end":
            raise self.fail(self.peek(), "empty expression")
        out = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            error = self.unexpected(tok, "an operator or the end of the expression")
            if tok.kind in ("name", "number") or tok.text == "(":
                # "2x" or "x(y+1)": the most common slip, so say what to write instead.
                message, _, rest = str(error).partition(" at column")
                error = ValueError(f"{message} (multiplication needs a *, as in 2*x) at column{rest}")
            raise error
        return out

    def expr(self) -> Value:
        out = self.term()
        while self.peek().text in ("+", "-") and self.peek().kind == "op":
            op = self.take().text
            rhs = self.term()
            out = out + rhs if op == "+" else out - rhs
        return out

    def term(self) -> Value:
        out = self.unary()
        while self.peek().text in ("*", "/") and self.peek().kind == "op":
            op = self.take().text
            rhs = self.unary()
            out = out * rhs if op == "*" else out / rhs
        return out

    def unary(self) -> Value:
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.take()
            self.enter(tok)
            operand = self.unary()
            self.depth -= 1
            return -operand if tok.text == "-" else operand
        return self.power()

    def power(self) -> Value:
        base = self.atom()
        tok = self.peek()
        if tok.kind == "op" and tok.text == "**":
            self.take()
            self.enter(tok)
            exponent = self.unary()   # 2**-1 is allowed, as in Python
            self.depth -= 1
            return base ** exponent
        return base

    def atom(self) -> Value:
        tok = self.take()
        if tok.kind == "number":
            return Value(float(tok.text), requires_grad=False)   # a constant: no gradient
        if tok.kind == "name" and tok.text in FUNCTIONS:
            if self.peek().text != "(":
                raise self.fail(tok, f"{tok.text} is a function: call it as {tok.text}(...)")
            self.take()
            self.enter(tok)
            arg = self.expr()
            self.depth -= 1
            close = self.take()
            if close.text == ",":
                raise self.fail(close, f"{tok.text} takes one argument")
            if close.text != ")":
                raise self.unexpected(close, f"')' to close {tok.text}(")
            return getattr(arg, tok.text)()
        if tok.kind == "name":
            if self.peek().text == "(":
                raise self.fail(tok, f"unknown function {tok.text!r} "
                                     f"(known: {', '.join(FUNCTIONS)})")
            return self.variable(tok)
        if tok.text == "(":
            self.enter(tok)
            inner = self.expr()
            self.depth -= 1
            close = self.take()
            if close.text != ")":
                raise self.unexpected(close, "')'")
            return inner
        raise self.unexpected(tok, "a number, a name or '('")

    def variable(self, tok: Token) -> Value:
        name = tok.text
        if name not in self.leaves:
            if name not in self.values:
                given = ", ".join(sorted(self.values)) or "none"
                raise self.fail(tok, f"no value given for variable {name!r} (given: {given})")
            number = self.values[name]
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise TypeError(f"the value of {name!r} must be a number, "
                                f"got {type(number).__name__}")
            self.leaves[name] = Value(float(number), label=name)
        return self.leaves[name]


def build(text: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the Value graph of expression `text` with variables set from `values`.

    Returns ``(output, leaves)``: the output Value (not yet differentiated) and a dict from each
    variable used to its leaf Value, in order of first use. Variables given but unused are
    ignored; a variable used but not given is an error.

    >>> out, leaves = build("tanh(x*w + b)", {"x": 0.5, "w": -1.2, "b": 0.3})
    >>> round(out.data, 6), list(leaves)
    (-0.291313, ['x', 'w', 'b'])
    """
    for name in values:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"{name!r} is not a variable name (letters, digits and _, "
                             "not starting with a digit)")
        if name in FUNCTIONS:
            raise ValueError(f"{name!r} is a function name and cannot be a variable")
    parser = _Parser(text, values)
    return parser.parse(), parser.leaves


def evaluate(text: str, values: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """The value of expression `text` and its gradient with respect to each variable used.

    >>> evaluate("x**2 + 3*x", {"x": 2.0})
    (10.0, {'x': 7.0})
    """
    out, leaves = build(text, values)
    if leaves:   # an expression of constants only has nothing to differentiate
        out.backward()
    return out.data, {name: leaf.grad for name, leaf in leaves.items()}

