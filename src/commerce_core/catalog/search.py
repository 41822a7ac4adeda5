"""The search port: a full-text index of the active catalog, kept in step by events.

What a shopper can expect from every adapter (the contract tests hold each one to it):
every word of the text must match; a word matches by its prefix ("lapt" finds "laptop"); case and
accents fold ("cafe" finds "Café"); a match in the name ranks above one in the description, the
sku or the category. Any text is only text: quotes, operators or control characters never reach
an engine's query language, because :func:`query_words` reduces the text to plain words first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import attrs
from attrs import field, frozen

from commerce_core.catalog.model import Product

SEARCH_SORTS = ("relevance", "price", "-price", "name", "newest")
MAX_QUERY_WORDS = 16
MAX_WORD_LENGTH = 40

# A word is a run of letters and digits, as SQLite's unicode61 tokenizer splits text.
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case and accents folded: "Café" and "cafe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean(text: str) -> str:
    """The text without NUL bytes and lone surrogates, which no database accepts."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def words_of(text: str) -> list[str]:
    """The folded words of a text, as an index stores them."""
    return _WORD.findall(fold(clean(text)))


def query_words(text: str | None) -> tuple[str, ...]:
    """The words of a shopper's query: folded, deduplicated, at most MAX_QUERY_WORDS of them."""
    if not text:
        return ()
    seen: dict[str, None] = {}
    for word in words_of(text[: MAX_QUERY_WORDS * (MAX_WORD_LENGTH + 1) * 4]):
        seen.setdefault(word[:MAX_WORD_LENGTH], None)
        if len(seen) == MAX_QUERY_WORDS:
            break
    return tuple(seen)


@frozen(kw_only=True)
class SearchDocument:
    """What the index holds of a product: its searchable text and what filters and sorts need."""

    product_id: str
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    currency: str
    in_stock: bool
    created_at: datetime
    # The inventory's version of the stock figure behind ``in_stock``: an older one never wins.
    stock_version: int = 0

    @classmethod
    def from_product(cls, product: Product) -> SearchDocument:
        return cls(
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            category=product.category,
            price=product.price.amount,
            currency=product.price.currency,
            in_stock=product.stock_available > 0,
            created_at=product.created_at,
            stock_version=product.stock_version,
        )

    def shows(self, product: Product) -> bool:
        """Whether this document is what the index should hold of ``product``. The stock
        versions may differ: they only order updates, and the catalog skips an update that
        brings the figure it holds again (``Product.apply_stock``), which the index may take."""
        expected = SearchDocument.from_product(product)
        return self == attrs.evolve(expected, stock_version=self.stock_version)


@frozen(kw_only=True)
class SearchQuery:
    text: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str = field(default="relevance")
    offset: int = 0
    limit: int = 20

    @sort.validator
    def _known_sort(self, _attribute: object, value: str) -> None:
        if value not in SEARCH_SORTS:
            raise ValueError(f"sort must be one of {SEARCH_SORTS}")

    @property
    def words(self) -> tuple[str, ...]:
        return query_words(self.text)

    @property
    def category_key(self) -> str | None:
        """The category filter as the index compares it (folded), or None for no filter."""
        if self.category is None:
            return None
        return fold(clean(self.category)).strip()


@frozen(kw_only=True)
class SearchResult:
    """One page of product ids in order, the number of matches, and matches per category.

    ``facets`` counts the matches of the text, price and stock filters in each category, leaving
    the category filter out, so a shopper sees where else the words match.
    """

    ids: tuple[str, ...]
    total: int
    facets: Mapping[str, int] = field(factory=dict)


class SearchIndex(Protocol):
    async def index(self, documents: Iterable[SearchDocument]) -> None:
        """Adds or replaces documents; searchable when this returns. Where the index holds a
        newer ``stock_version`` than a document, it keeps its own ``in_stock``."""
        ...

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        """Applies a stock figure newer than the one held (an older one changes nothing);
        True when the product's ``in_stock`` changed. An unknown product is left alone."""
        ...

    async def remove(self, product_id: str) -> None:
        """Forgets a product; removing an unknown one is no error."""
        ...

    async def query(self, query: SearchQuery) -> SearchResult: ...

    async def documents(self) -> dict[str, SearchDocument]:
        """Every document held, by product id (what ``commerce search verify`` compares)."""
        ...
