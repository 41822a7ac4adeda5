"""Redis adapters (redis.asyncio): product cache, carts, refresh tokens, login rate limits and
the push of saga outcomes to API processes. One connection pool per process (``create_redis``)."""
