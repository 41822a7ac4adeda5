"""The catalog and the scenarios every search adapter must pass, as data: the contract test runs
them, and the Elasticsearch recordings under tests/fixtures/elasticsearch are built from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from attrs import evolve, frozen

from commerce_core.catalog.search import SearchDocument, SearchQuery

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _doc(
    n: int, name: str, description: str, category: str, price: str, in_stock: bool,
    sku: str | None = None,
) -> SearchDocument:
    return SearchDocument(
        product_id=f"p{n}",
        sku=sku or f"SKU-{n:03d}",
        name=name,
        description=description,
        category=category,
        price=Decimal(price),
        currency="EUR",
        in_stock=in_stock,
        created_at=T0 + timedelta(minutes=n),
    )


CATALOG = (
    _doc(1, "Laptop Pro 15", "A fast portable computer", "Computers", "1299.00", True),
    _doc(2, "Laptop Sleeve", "Neoprene sleeve for a 15 inch notebook", "Accessories", "29.90",
         True),
    _doc(3, "Messenger Bag", "Fits a laptop and documents", "Accessories", "59.00", False),
    _doc(4, "Café Crème Beans", "Dark roast coffee beans", "Grocery", "12.50", True),
    _doc(5, "Mechanical Keyboard", "Tactile switches, backlit", "Computers", "89.00", True),
    _doc(6, "Wireless Mouse", "Ergonomic mouse for laptop users", "Computers", "25.00", False),
    _doc(7, "Espresso Cup Set", "Porcelain cups for café espresso", "Kitchen", "18.00", True),
    _doc(8, "Desk Lamp", "LED lamp with USB port", "Lighting", "35.00", True, sku="LMP-42"),
)
BY_ID = {d.product_id: d for d in CATALOG}
ALL_FACETS = {"Computers": 3, "Accessories": 2, "Grocery": 1, "Kitchen": 1, "Lighting": 1}


@frozen
class Expect:
    """Result ids as groups: each group's ids in any order, the groups in this order."""

    groups: tuple[frozenset[str], ...]
    total: int | None = None
    facets: dict[str, int] | None = None

    @property
    def ids(self) -> list[str]:
        return [i for group in self.groups for i in sorted(group)]


def ordered(*ids: str, total: int | None = None, facets: dict[str, int] | None = None) -> Expect:
    return Expect(tuple(frozenset([i]) for i in ids), total, facets)


def unordered(*groups: Sequence[str], total: int | None = None,
              facets: dict[str, int] | None = None) -> Expect:
    return Expect(tuple(frozenset(g) for g in groups), total, facets)


@frozen
class Query:
    query: SearchQuery
    expect: Expect


@frozen
class Remove:
    product_id: str


@frozen
class Reindex:
    document: SearchDocument


@frozen
class SetStock:
    product_id: str
    in_stock: bool
    stock_version: int
    changed: bool  # what set_in_stock answers


Step = Query | Remove | Reindex | SetStock


def q(**kwargs: object) -> SearchQuery:
    return SearchQuery(**kwargs)  # type: ignore[arg-type]


SCENARIOS: dict[str, list[Step]] = {
    "every_word_must_match": [
        Query(q(text="laptop sleeve"), ordered("p2", total=1)),
        Query(q(text="laptop boot"), ordered(total=0)),
    ],
    "prefix_finds_the_word": [
        Query(q(text="lapt"), unordered(["p1", "p2"], ["p3", "p6"], total=4)),
        Query(q(text="keyb"), ordered("p5")),
    ],
    "name_ranks_above_description": [
        Query(q(text="laptop"), unordered(["p1", "p2"], ["p3", "p6"], total=4)),
    ],
    "accents_and_case_fold": [
        Query(q(text="cafe"), ordered("p4", "p7", total=2)),
        Query(q(text="CAFÉ creme"), ordered("p4", total=1)),
        Query(q(text="espresso CAFE"), ordered("p7")),
    ],
    "sku_and_category_are_searchable": [
        Query(q(text="lmp-42"), ordered("p8", total=1)),
        Query(q(text="grocery"), ordered("p4", total=1)),
    ],
    "blank_text_lists_everything_newest_first": [
        Query(q(text="  ", limit=100),
              ordered("p8", "p7", "p6", "p5", "p4", "p3", "p2", "p1", total=8,
                      facets=ALL_FACETS)),
    ],
    "category_filter_folds_case_and_keeps_facets": [
        Query(q(category="computers", sort="price"),
              ordered("p6", "p5", "p1", total=3, facets=ALL_FACETS)),
        Query(q(text="laptop", category="ACCESSORIES", sort="price"),
              ordered("p2", "p3", total=2, facets={"Computers": 2, "Accessories": 2})),
        Query(q(category="garden"), ordered(total=0, facets=ALL_FACETS)),
    ],
    "price_range_is_inclusive": [
        Query(q(min_price=Decimal("25"), max_price=Decimal("59.00"), sort="price"),
              ordered("p6", "p2", "p8", "p3", total=4)),
        Query(q(min_price=Decimal("1000"), sort="-price"), ordered("p1", total=1)),
    ],
    "in_stock_filter": [
        Query(q(text="laptop", in_stock=True), unordered(["p1", "p2"], total=2)),
        Query(q(text="laptop", in_stock=False), unordered(["p3", "p6"], total=2,
                                                          facets={"Accessories": 1,
                                                                  "Computers": 1})),
    ],
    "sorts": [
        Query(q(sort="name", limit=100),
              ordered("p4", "p8", "p7", "p1", "p2", "p5", "p3", "p6")),
        Query(q(sort="-price", limit=100),
              ordered("p1", "p5", "p3", "p8", "p2", "p6", "p7", "p4")),
        Query(q(sort="newest", limit=3), ordered("p8", "p7", "p6", total=8)),
        Query(q(text="laptop", sort="price"), ordered("p6", "p2", "p3", "p1", total=4)),
    ],
    "pagination": [
        Query(q(sort="price", offset=2, limit=3), ordered("p6", "p2", "p8", total=8)),
        Query(q(sort="price", offset=8, limit=3), ordered(total=8)),
    ],
    "the_index_follows_changes": [
        Remove("p2"),
        Query(q(text="laptop sleeve"), ordered(total=0)),
        Reindex(evolve(BY_ID["p5"], name="Gaming Keyboard", in_stock=False)),
        Query(q(text="gaming"), ordered("p5", total=1)),
        Query(q(text="mechanical"), ordered(total=0)),
        Query(q(text="keyboard", in_stock=True), ordered(total=0)),
        Remove("p404"),
    ],
    "stock_figures_apply_in_version_order": [
        SetStock("p5", False, 3, changed=True),
        Query(q(text="keyboard", in_stock=True), ordered(total=0)),
        SetStock("p5", True, 2, changed=False),  # older than the one held: ignored
        Query(q(text="keyboard", in_stock=False), ordered("p5", total=1)),
        SetStock("p5", True, 4, changed=True),
        Query(q(text="keyboard", in_stock=True), ordered("p5", total=1)),
        SetStock("p404", True, 9, changed=False),
    ],
}

# A one-letter typo still finds the product where the engine supports it.
TYPO_SCENARIOS: dict[str, list[Step]] = {
    "one_letter_typo_still_finds": [
        Query(q(text="keybaord"), ordered("p5", total=1)),
        Query(q(text="wireles mouse"), ordered("p6", total=1)),
        Query(q(text="mechanicl keyboard"), ordered("p5", total=1)),
    ],
}

# Text that looks like query syntax of some engine: every adapter treats it as words.
HOSTILE_TEXTS = [
    '"laptop', "laptop\"", "'; DROP TABLE search_documents; --", "laptop OR 1=1",
    "lap* OR *", "name:laptop", "description:(laptop AND bag)", "(((", ")))", "a & b | !c",
    "laptop <-> sleeve", "NEAR(laptop sleeve)", "^laptop", "-laptop", "+laptop", "laptop~2",
    "\\", "%", "_", "'':*", "NOT", "AND", "OR", "*", ":", "\x00", "lap\x00top", "\ud800",
    "laptop\udfff", "🙂 emoji", "x" * 10_000, "laptop " * 2_000, "\u0301\u0301", "ǅ ß İ ﬁ",
    "{\"query\": {\"match_all\": {}}}", "/.*/", "laptop\n\tsleeve", "   ",
]
