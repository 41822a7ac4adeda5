"""The SQL of the SQLite FTS5 adapter's text queries, and the rowid layout it reads.

A document's rowid (``doc_id``) says what a query needs of it besides its words, from the high
bits down: its age (whole seconds since AGE_EPOCH), its category's code (``search_categories``),
1 when in stock, then a sequence number. So the newest matches of an FTS5 expression are the
tail of its rowid-ordered doclist, and category counts and the stock and category filters read
the doclist alone. Relevance tiers (how many of the words are in the name) are FTS5 expressions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from attrs import frozen

# doc_id, from the high bits down: the age bucket (whole seconds since AGE_EPOCH, signed), the
# category's code (search_categories), 1 when in stock, then a sequence number within the rest.
# New products append to the b-trees; a product changes doc_id when its category or stock does.
SEQUENCE_BITS = 16  # 65,536 products a second per category and stock state
STOCK_SHIFT = SEQUENCE_BITS
CODE_SHIFT = STOCK_SHIFT + 1
CODE_BITS = 14  # codes from 2**14 on share code 0, whose counts come from the rows
BUCKET_SHIFT = CODE_SHIFT + CODE_BITS
AGE_EPOCH = 1_577_836_800  # 2020-01-01: keys stay small around today
# |doc_id| < 2**62: ages from 1952 to 2088; earlier or later ones clamp
MAX_AGE: int = 2 ** (62 - BUCKET_SHIFT) - 1
LAST_IN_RANGE = 2**SEQUENCE_BITS - 1
# SQL over an FTS5 alias {f}: the category code and the stock bit of a match.
CODE_OF = f"(({{f}}.rowid >> {CODE_SHIFT}) & {2**CODE_BITS - 1})"
STOCK_OF = f"(({{f}}.rowid >> {STOCK_SHIFT}) & 1)"
# Tiers of "words found in the name" are FTS5 expressions, one alternative per choice of words;
# past this many alternatives the remaining tiers are ranked from one pass over the matches.
MAX_TIER_ALTERNATIVES = 3


def age_bucket(created_ts: float) -> int:
    """Whole seconds since AGE_EPOCH: a newer product has a larger bucket."""
    return max(-MAX_AGE, min(MAX_AGE, math.floor(created_ts) - AGE_EPOCH))


def first_key(created_ts: float, code: int, in_stock: bool) -> int:
    """The first doc_id of the range a document of this age, category and stock takes."""
    code_bits = code if code < 2**CODE_BITS else 0
    return (
        (age_bucket(created_ts) << BUCKET_SHIFT)
        + (code_bits << CODE_SHIFT)
        + (int(in_stock) << STOCK_SHIFT)
    )


def next_key(first: str) -> str:
    """The next free doc_id of the range from ``first`` (SQL); a full range repeats its last
    key, so the insert fails on the primary key instead of spilling into the next range."""
    return (
        f"(SELECT min(coalesce(max(doc_id) + 1, {first}), {first} + {LAST_IN_RANGE})"
        f" FROM search_documents WHERE doc_id BETWEEN {first} AND {first} + {LAST_IN_RANGE})"
    )


MATCH_ORDER = {
    "price": "d.price_units, d.name_key, d.product_id",
    "-price": "d.price_units DESC, d.name_key, d.product_id",
    "name": "d.name_key, d.product_id",
}


@frozen
class Filters:
    """A query's filters as SQL: ``bits`` over an FTS5 alias {f} (read from the rowid, no
    lookup), ``rows`` over a search_documents alias {t} (each match looked up)."""

    bits: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()

    def source(self, f: str, t: str, *, join: bool = False) -> str:
        if join or self.rows:
            return f"search_fts AS {f} JOIN search_documents {t} ON {t}.doc_id = {f}.rowid"
        return f"search_fts AS {f}"

    def where(self, f: str, t: str, expression: str = "expression") -> str:
        """The match of the :<expression> parameter and the filters."""
        return f"{f}.search_fts MATCH :{expression}" + "".join(
            f" AND {c.format(f=f, t=t)}" for c in (*self.bits, *self.rows)
        )


IN_CATEGORY = (
    f"({CODE_OF} IN (SELECT code FROM search_categories WHERE category_key = :category)"
    f" OR ({CODE_OF} = 0 AND EXISTS (SELECT 1 FROM search_documents x"
    " WHERE x.doc_id = {f}.rowid AND x.category_key = :category)))"
)


def phrase(word: str) -> str:
    """A word as a quoted prefix term: the shopper's text never reaches FTS5's syntax."""
    return '"' + word.replace('"', '""') + '"*'


def match_expression(words: Sequence[str]) -> str:
    """Every word, anywhere."""
    return " AND ".join(phrase(w) for w in words)


def tier_expression(words: Sequence[str], named: int) -> str | None:
    """Every word somewhere and exactly ``named`` of them in the name; None when that takes more
    than MAX_TIER_ALTERNATIVES alternatives (one per choice of the named words)."""
    choices = list(itertools.combinations(range(len(words)), named))
    if len(choices) > MAX_TIER_ALTERNATIVES:
        return None
    in_name = [f"{{name}}: {phrase(w)}" for w in words]
    elsewhere = [f"({phrase(w)} NOT {{name}}: {phrase(w)})" for w in words]
    return " OR ".join(
        "("
        + " AND ".join(in_name[i] if i in chosen else elsewhere[i] for i in range(len(words)))
        + ")"
        for chosen in choices
    )


def facets_sql(filters: Filters, *, overflow: bool = False) -> str:
    """Matches of :expression per category (category, n): from the doclist's rowids alone
    unless a filter reads rows; ``overflow``: the rows of code 0 (categories past the code bits),
    whose counts come as a NULL category from the rowids."""
    code = CODE_OF.format(f="s")
    if filters.rows or overflow:
        zero = f" AND {code} = 0" if overflow else ""
        return (
            f"SELECT d.category, count(*) AS n FROM {filters.source('s', 'd', join=True)}"
            f" WHERE {filters.where('s', 'd')}{zero} GROUP BY d.category"
        )
    return (
        f"SELECT c.category, m.n FROM (SELECT {code} AS code, count(*) AS n"
        f" FROM search_fts AS s WHERE {filters.where('s', 'd')} GROUP BY code) AS m"
        " LEFT JOIN search_categories c ON c.code = m.code"
    )


def newest_sql(filters: Filters, expression: str) -> str:
    """The page (:offset, :limit) of the matches of :<expression>, newest first, reading only the
    end of the doclist: its last row (:last), found in rowid order, bounds the rows to sort to
    that row's second and newer."""
    where_f = filters.where("f", "e", expression)
    where_s = filters.where("s", "d", expression)
    bound = (
        f"coalesce((SELECT (f.rowid >> {BUCKET_SHIFT}) << {BUCKET_SHIFT}"
        f" FROM {filters.source('f', 'e')} WHERE {where_f}"
        f" ORDER BY f.rowid DESC LIMIT 1 OFFSET :last), {-(2**63)})"
    )
    return (
        f"SELECT d.product_id FROM {filters.source('s', 'd', join=True)}"
        f" WHERE {where_s} AND s.rowid >= {bound}"
        " ORDER BY d.created_ts DESC, d.product_id LIMIT :limit OFFSET :offset"
    )
