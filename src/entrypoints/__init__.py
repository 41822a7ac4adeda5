"""Entrypoints: the HTTP server, the CLI, the worker, and the container that wires adapters."""
