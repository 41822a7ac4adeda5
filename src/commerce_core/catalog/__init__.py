"""Catalog: products, their prices and the stock figure shoppers see."""
