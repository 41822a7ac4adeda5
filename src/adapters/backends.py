"""What an adapter of a networked backend raises when that backend does not answer.

It is a TransientError, so the message bus retries it and the HTTP layer answers 503 with a problem
body naming the backend, while the rest of the service keeps working.
"""

from __future__ import annotations

from typing import Any

from commerce_core.shared.errors import TransientError


class BackendUnavailable(TransientError):
    code = "backend_unavailable"
    title = "A backend service is unavailable"

    def __init__(self, backend: str, detail: str = "", **context: Any) -> None:
        super().__init__(detail or f"{backend} is unavailable", backend=backend, **context)
        self.backend = backend
