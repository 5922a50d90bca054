"""The Library's search grammar: a small query language over label names, categories and places.

::

    query     := or_expr
    or_expr   := and_expr ( "OR" and_expr )*
    and_expr  := not_expr ( ["AND"] not_expr )*        two terms side by side mean AND
    not_expr  := "NOT" not_expr | primary
    primary   := "(" or_expr ")" | term
    term      := name [threshold]
               | "category:" name [threshold]
               | "bucket:" value | "prefix:" value
    threshold := (">=" | ">") number                   a confidence, 0-100
    name      := word | '"' text '"'                    quotes for names with spaces

``AND``/``OR``/``NOT`` are keywords only in capitals (``and`` is a label word), ``NOT`` binds tighter
than ``AND``, which binds tighter than ``OR``; field names (``category:``...) are case-insensitive. A word
is a run of characters other than spaces, ``( ) " : > < =``. An empty query matches every video.

The parser is a recursive descent over a token list; a bad query raises :class:`QueryError` with the
0-based character position of the problem. Pure: no I/O, no knowledge of labels (name resolution through
the taxonomy's aliases happens when the query is compiled against the index).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

FIELDS = ("category", "bucket", "prefix")
KEYWORDS = ("AND", "OR", "NOT")
_SPECIAL = set('()":><=')


class QueryError(ValueError):
    """A query that does not parse: ``message`` says what, ``position`` (0-based) says where."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.query = query

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position + 1})"

    def pointer(self) -> str:
        """The query with a caret under the problem, for a terminal."""
        return f"{self.query}\n{' ' * self.position}^"


# ----------------------------------------------------------------------------------------------------------
# The syntax tree
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A minimum confidence: ``>= value`` (inclusive) or ``> value``."""

    value: float
    inclusive: bool = True

    def admits(self, confidence: float) -> bool:
        return confidence >= self.value if self.inclusive else confidence > self.value

    def text(self) -> str:
        return f"{'>=' if self.inclusive else '>'}{self.value:g}"


@dataclass(frozen=True)
class LabelTerm:
    name: str
    threshold: Threshold | None = None
    position: int = 0


@dataclass(frozen=True)
class CategoryTerm:
    name: str
    threshold: Threshold | None = None
    position: int = 0


@dataclass(frozen=True)
class BucketTerm:
    name: str
    position: int = 0


@dataclass(frozen=True)
class PrefixTerm:
    prefix: str
    position: int = 0


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class MatchAll:
    """The empty query."""


Node = Union[LabelTerm, CategoryTerm, BucketTerm, PrefixTerm, And, Or, Not, MatchAll]  # noqa: UP007


def to_text(node: Node) -> str:
    """A canonical form of the tree (fully parenthesised groups, quoted names): for tests and messages."""
    if isinstance(node, MatchAll):
        return ""
    if isinstance(node, LabelTerm):
        return _quote(node.name) + (node.threshold.text() if node.threshold else "")
    if isinstance(node, CategoryTerm):
        return "category:" + _quote(node.name) + (node.threshold.text() if node.threshold else "")
    if isinstance(node, BucketTerm):
        return "bucket:" + _quote(node.name)
    if isinstance(node, PrefixTerm):
        return "prefix:" + _quote(node.prefix)
    if isinstance(node, Not):
        return "NOT " + to_text(node.item)
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(to_text(i) for i in node.items) + ")"


def terms(node: Node) -> Iterator[Node]:
    """Every leaf of the tree, left to right."""
    if isinstance(node, And | Or):
        for item in node.items:
            yield from terms(item)
    elif isinstance(node, Not):
        yield from terms(node.item)
    elif not isinstance(node, MatchAll):
        yield node


def positive_terms(node: Node) -> Iterator[LabelTerm | CategoryTerm]:
    """The label and category terms not under a NOT: the ones whose moments a match shows."""
    if isinstance(node, And | Or):
        for item in node.items:
            yield from positive_terms(item)
    elif isinstance(node, LabelTerm | CategoryTerm):
        yield node


def _quote(text: str) -> str:
    if text and not any(c.isspace() or c in _SPECIAL for c in text) and text not in KEYWORDS:
        return text
    return '"' + text + '"'


# ----------------------------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # WORD, QUOTED, FIELD, LPAREN, RPAREN, AND, OR, NOT, GE, GT, END
    text: str
    position: int


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c == "(":
            tokens.append(Token("LPAREN", c, i))
            i += 1
        elif c == ")":
            tokens.append(Token("RPAREN", c, i))
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError("unterminated quote: add the closing \"", i, query)
            tokens.append(Token("QUOTED", query[i + 1 : end], i))
            i = end + 1
        elif c == ">":
            if query.startswith(">=", i):
                tokens.append(Token("GE", ">=", i))
                i += 2
            else:
                tokens.append(Token("GT", ">", i))
                i += 1
        elif c in "<=":
            raise QueryError(f"'{c}' is not an operator here: a minimum confidence is written Dog>=90", i, query)
        elif c == ":":
            raise QueryError("':' must follow a filter name: category:, bucket: or prefix:", i, query)
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                i += 1
            word = query[start:i]
            if i < n and query[i] == ":":
                field = word.lower()
                if field not in FIELDS:
                    raise QueryError(
                        f"unknown filter '{word}:' (the filters are category:, bucket: and prefix:)", start, query
                    )
                tokens.append(Token("FIELD", field, start))
                i += 1
            elif word in KEYWORDS:
                tokens.append(Token(word, word, start))
            else:
                tokens.append(Token("WORD", word, start))
    tokens.append(Token("END", "", n))
    return tokens


# ----------------------------------------------------------------------------------------------------------
# Parser
# ----------------------------------------------------------------------------------------------------------


def parse(query: str) -> Node:
    """The syntax tree of ``query``; raises :class:`QueryError` with the position of the problem."""
    return _Parser(query).parse()


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> QueryError:
        return QueryError(message, (tok or self.tok).position, self.query)

    def parse(self) -> Node:
        if self.tok.kind == "END":
            return MatchAll()
        node = self.or_expr()
        if self.tok.kind == "RPAREN":
            raise self.error("')' without a matching '('")
        if self.tok.kind != "END":  # pragma: no cover - and_expr consumes every term that can start
            raise self.error(f"unexpected '{self.tok.text}'")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.kind == "OR":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while True:
            if self.tok.kind == "AND":
                self.advance()
            elif self.tok.kind not in ("WORD", "QUOTED", "FIELD", "NOT", "LPAREN"):
                break
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.tok.kind == "NOT":
            self.advance()
            return Not(self.not_expr())
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            self.advance()
            if self.tok.kind == "RPAREN":
                raise self.error("empty parentheses: put a label inside")
            node = self.or_expr()
            if self.tok.kind != "RPAREN":
                raise self.error("this '(' is never closed: add a ')'", tok)
            self.advance()
            return node
        if tok.kind in ("WORD", "QUOTED"):
            self.advance()
            name = self.name_of(tok)
            return LabelTerm(name, self.threshold(), tok.position)
        if tok.kind == "FIELD":
            self.advance()
            value_tok = self.tok
            if value_tok.kind not in ("WORD", "QUOTED"):
                raise self.error(f"'{tok.text}:' needs a value, e.g. {_EXAMPLES[tok.text]}")
            self.advance()
            value = self.name_of(value_tok)
            if tok.text == "category":
                return CategoryTerm(value, self.threshold(), tok.position)
            if self.tok.kind in ("GE", "GT"):
                raise self.error(f"a minimum confidence applies to labels and categories, not to {tok.text}:")
            if tok.text == "bucket":
                return BucketTerm(value, tok.position)
            return PrefixTerm(value, tok.position)
        if tok.kind == "END":
            raise self.error("the query ends where a label was expected")
        if tok.kind == "RPAREN":
            raise self.error("')' where a label was expected")
        if tok.kind in ("AND", "OR"):
            raise self.error(f"{tok.kind} needs a label on both sides")
        raise self.error(f"'{tok.text}' where a label was expected (a minimum confidence follows a name: Dog>=90)")

    def name_of(self, tok: Token) -> str:
        name = tok.text.strip()
        if not name:
            raise self.error("empty name in quotes", tok)
        return name

    def threshold(self) -> Threshold | None:
        op = self.tok
        if op.kind not in ("GE", "GT"):
            return None
        self.advance()
        num = self.tok
        if num.kind != "WORD":
            raise self.error(f"a confidence (0-100) must follow '{op.text}'")
        try:
            value = float(num.text)
        except ValueError:
            raise self.error(f"'{num.text}' is not a number: a confidence is 0-100", num) from None
        if not 0.0 <= value <= 100.0:
            raise self.error(f"confidence {num.text} is out of range: it is 0-100", num)
        self.advance()
        return Threshold(value, inclusive=op.kind == "GE")


_EXAMPLES = {
    "category": 'category:"Animals and Pets"',
    "bucket": "bucket:my-videos",
    "prefix": "prefix:family/2024/",
}
