"""The HTTP API of CONTRACT.md, on Starlette."""

from entrypoints.http.app import create_app

__all__ = ["create_app"]
