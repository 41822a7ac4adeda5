"""The in-memory search index: the embedded mode's search and the reference for the others.

A linear scan: fine for a few thousand products, the SQL and Elasticsearch adapters serve more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from attrs import define, evolve

from commerce_core.catalog.search import (
    SearchDocument,
    SearchQuery,
    SearchResult,
    fold,
    words_of,
)

NAME_WEIGHT = 3
OTHER_WEIGHT = 1


@define
class _Entry:
    """A product as the index holds it: its document, the words and keys derived from the
    document's text, and the live stock state. A stock change (two per checkout) moves only
    ``in_stock`` and ``stock_version``, in place: the document, the words and the keys stay as
    they are, and ``document`` may hold older stock figures than the entry."""

    document: SearchDocument
    name_words: tuple[str, ...]
    other_words: tuple[str, ...]
    category_key: str
    name_key: str
    in_stock: bool
    stock_version: int

    def current(self) -> SearchDocument:
        """The document with the entry's stock state."""
        document = self.document
        if (document.in_stock, document.stock_version) == (self.in_stock, self.stock_version):
            return document
        return evolve(document, in_stock=self.in_stock, stock_version=self.stock_version)


def _entry(document: SearchDocument) -> _Entry:
    return _Entry(
        document,
        tuple(words_of(document.name)),
        tuple(words_of(f"{document.description} {document.sku} {document.category}")),
        fold(document.category).strip(),
        fold(document.name),
        document.in_stock,
        document.stock_version,
    )


_SORT_KEYS: dict[str, Callable[[_Entry], Any]] = {
    "price": lambda e: (e.document.price, e.name_key, e.document.product_id),
    "-price": lambda e: (-e.document.price, e.name_key, e.document.product_id),
    "name": lambda e: (e.name_key, e.document.product_id),
    "newest": lambda e: (-e.document.created_at.timestamp(), e.document.product_id),
}


def _score(entry: _Entry, words: tuple[str, ...]) -> int | None:
    """Every word must match a word's prefix; a match in the name weighs more."""
    score = 0
    for word in words:
        if any(w.startswith(word) for w in entry.name_words):
            score += NAME_WEIGHT
        elif any(w.startswith(word) for w in entry.other_words):
            score += OTHER_WEIGHT
        else:
            return None
    return score


class MemorySearchIndex:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    async def index(self, documents: Iterable[SearchDocument]) -> None:
        for document in documents:
            held = self._entries.get(document.product_id)
            if held is not None and held.stock_version > document.stock_version:
                document = evolve(
                    document, in_stock=held.in_stock, stock_version=held.stock_version
                )
            self._entries[document.product_id] = _entry(document)

    async def set_in_stock(self, product_id: str, in_stock: bool, stock_version: int) -> bool:
        held = self._entries.get(product_id)
        if held is None or held.stock_version >= stock_version:
            return False
        # In place, and with no await in between: a check and its update are one step.
        changed = held.in_stock != in_stock
        held.in_stock, held.stock_version = in_stock, stock_version
        return changed

    async def remove(self, product_id: str) -> None:
        self._entries.pop(product_id, None)

    async def documents(self) -> dict[str, SearchDocument]:
        return {pid: e.current() for pid, e in self._entries.items()}

    async def query(self, query: SearchQuery) -> SearchResult:
        words = query.words
        category = query.category_key
        matches: list[tuple[int, _Entry]] = []
        facets: Counter[str] = Counter()
        for entry in self._entries.values():
            document = entry.document
            if query.min_price is not None and document.price < query.min_price:
                continue
            if query.max_price is not None and document.price > query.max_price:
                continue
            if query.in_stock is not None and entry.in_stock != query.in_stock:
                continue
            score = _score(entry, words)
            if score is None:
                continue
            facets[document.category] += 1
            if category is not None and entry.category_key != category:
                continue
            matches.append((score, entry))
        if query.sort == "relevance":
            matches.sort(
                key=lambda se: (
                    -se[0],
                    -se[1].document.created_at.timestamp(),
                    se[1].document.product_id,
                )
            )
            ordered = [e for _, e in matches]
        else:
            ordered = sorted((e for _, e in matches), key=_SORT_KEYS[query.sort])
        page = ordered[query.offset : query.offset + query.limit]
        return SearchResult(
            ids=tuple(e.document.product_id for e in page),
            total=len(ordered),
            facets=dict(facets),
        )
