"""A generated catalog for the search benchmark: deterministic, realistic word frequencies."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commerce_core.catalog.search import SearchDocument


def _split(words: str) -> list[str]:
    return words.split()


NOUNS = _split(
    "laptop keyboard mouse monitor chair desk lamp headphones speaker camera phone tablet charger"
    " cable backpack bottle mug kettle blender toaster jacket shirt sneakers boots watch wallet"
    " umbrella tent lantern drill hammer wrench saw ladder pillow blanket towel sofa shelf mirror"
    " clock vase candle plant pot pan knife spoon cup plate router printer scanner drone guitar"
    " piano violin ball racket helmet bicycle scooter skateboard"
)
ADJECTIVES = _split(
    "wireless ergonomic portable compact stainless steel wooden leather smart classic premium"
    " mini pro ultra silent foldable waterproof vintage modern cordless rechargeable heavy light"
    " soft organic recycled bamboo cotton woolen ceramic glass"
)
BRANDS = [
    *_split(
        "Acme Nordic Zenith Orion Kumo Brio Vega Atlas Lumen Terra Nova Polar Summit Delta Apex"
        " Cedar Maple Falcon Koa Rivo"
    ),
    "Café Royal", "Élan", "Señor Frío", "Müller", "Øresund",
]
CATEGORIES = _split(
    "Computers Accessories Audio Photo Phones Kitchen Home Garden Tools Outdoor Sports Music"
    " Fashion Shoes Office Lighting Furniture Toys Books Beauty Health Grocery Pets Baby"
    " Automotive Travel Gaming Storage Networking Crafts"
)


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    return [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(size)
    ]


def generate(count: int, seed: int = 42) -> list[SearchDocument]:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng, 3000) + NOUNS + ADJECTIVES
    start = datetime(2025, 1, 1, tzinfo=UTC)
    documents = []
    for n in range(count):
        noun, adjective, brand = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(BRANDS)
        name = f"{brand} {adjective.capitalize()} {noun.capitalize()} X{n % 997}"
        description = " ".join(rng.choices(vocabulary, k=rng.randint(8, 24))).capitalize() + "."
        documents.append(SearchDocument(
            product_id=f"{n:08d}",
            sku=f"SKU-{n:06d}",
            name=name,
            description=description,
            category=CATEGORIES[(NOUNS.index(noun) + rng.randint(0, 2)) % len(CATEGORIES)],
            price=Decimal(rng.randint(199, 250_000)) / 100,
            currency="EUR",
            in_stock=rng.random() < 0.8,
            created_at=start + timedelta(minutes=n),
        ))
    return documents
