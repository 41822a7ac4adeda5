"""Settings of the distributed mode beyond CONTRACT.md's URLs (all optional, from the environment).

| variable | default | meaning |
|---|---|---|
| COMMERCE_AMQP_PREFIX | commerce | names of exchanges and queues (several shops on one broker) |
| COMMERCE_REDIS_PREFIX | commerce: | prefix of every Redis key |
| COMMERCE_AMQP_PREFETCH | 32 | unacknowledged messages per worker channel |
| COMMERCE_AMQP_MAX_DELIVERIES | 10 | deliveries of a failing message before it is dead-lettered |
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from attrs import frozen


@frozen(kw_only=True)
class DistributedSettings:
    amqp_prefix: str = "commerce"
    redis_prefix: str = "commerce:"
    prefetch: int = 32
    max_deliveries: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DistributedSettings:
        env = os.environ if env is None else env
        return cls(
            amqp_prefix=env.get("COMMERCE_AMQP_PREFIX", "").strip() or "commerce",
            redis_prefix=env.get("COMMERCE_REDIS_PREFIX", "").strip() or "commerce:",
            prefetch=int(env.get("COMMERCE_AMQP_PREFETCH", "") or 32),
            max_deliveries=int(env.get("COMMERCE_AMQP_MAX_DELIVERIES", "") or 10),
        )
