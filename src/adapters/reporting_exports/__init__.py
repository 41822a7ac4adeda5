"""The reports as files: CSV (stdlib csv) and PDF (reportlab: a table and a chart).

Rendering is an edge concern: these functions take the frozen report values of
``commerce_core.reporting.model`` and return bytes; they neither read a store nor know HTTP."""

from adapters.reporting_exports.csv_export import inventory_csv, low_stock_csv, sales_csv
from adapters.reporting_exports.pdf_export import inventory_pdf, low_stock_pdf, sales_pdf

__all__ = [
    "inventory_csv",
    "inventory_pdf",
    "low_stock_csv",
    "low_stock_pdf",
    "sales_csv",
    "sales_pdf",
]
