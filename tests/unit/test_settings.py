from datetime import timedelta

import pytest

from entrypoints.settings import DEFAULT_DATABASE_URL, MEMORY_URL, Settings, SettingsError


def test_defaults_from_an_empty_environment_are_those_of_the_contract():
    settings = Settings.from_env({})

    assert settings.database_url == "sqlite+aiosqlite:///./commerce.db" == DEFAULT_DATABASE_URL
    assert settings.checkout_wait_ms == 2000
    assert settings.reservation_ttl_s == 900
    assert settings.reservation_ttl == timedelta(minutes=15)
    assert settings.replica_urls == ()
    assert (settings.redis_url, settings.amqp_url, settings.elasticsearch_url) == (None,) * 3
    assert settings.clickhouse_url is None
    assert settings.jwt_secret is None
    assert not settings.is_memory


def test_every_variable_is_read():
    settings = Settings.from_env({
        "COMMERCE_DATABASE_URL": "postgresql+asyncpg://db/shop",
        "COMMERCE_DATABASE_REPLICA_URLS": " postgresql://r1/shop , ,postgresql://r2/shop",
        "COMMERCE_REDIS_URL": "redis://cache:6379/0",
        "COMMERCE_AMQP_URL": "amqp://guest:guest@mq:5672/",
        "COMMERCE_ELASTICSEARCH_URL": "http://es:9200",
        "COMMERCE_CLICKHOUSE_URL": "clickhouse://ch:9000/default",
        "COMMERCE_JWT_SECRET": "k" * 40,
        "COMMERCE_CHECKOUT_WAIT_MS": "500",
        "COMMERCE_RESERVATION_TTL_S": " 60 ",
    })

    assert settings.database_url == "postgresql+asyncpg://db/shop"
    assert settings.replica_urls == ("postgresql://r1/shop", "postgresql://r2/shop")
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.amqp_url == "amqp://guest:guest@mq:5672/"
    assert settings.elasticsearch_url == "http://es:9200"
    assert settings.clickhouse_url == "clickhouse://ch:9000/default"
    assert settings.jwt_secret == "k" * 40
    assert (settings.checkout_wait_ms, settings.reservation_ttl_s) == (500, 60)


def test_blank_values_count_as_unset():
    settings = Settings.from_env({
        "COMMERCE_DATABASE_URL": "  ",
        "COMMERCE_REDIS_URL": "",
        "COMMERCE_CHECKOUT_WAIT_MS": " ",
    })

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.redis_url is None
    assert settings.checkout_wait_ms == 2000


def test_memory_url_selects_the_embedded_mode():
    assert Settings.from_env({"COMMERCE_DATABASE_URL": "memory://"}).is_memory
    assert Settings().database_url == MEMORY_URL


@pytest.mark.parametrize("name", ["COMMERCE_CHECKOUT_WAIT_MS", "COMMERCE_RESERVATION_TTL_S"])
@pytest.mark.parametrize("raw", ["abc", "1.5", "2s", "0", "-5"])
def test_a_bad_integer_raises_settings_error_naming_the_variable(name, raw):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("COMMERCE_CHECKOUT_WAIT_MS", "1234")
    monkeypatch.delenv("COMMERCE_DATABASE_URL", raising=False)

    settings = Settings.from_env()

    assert settings.checkout_wait_ms == 1234
    assert settings.database_url == DEFAULT_DATABASE_URL


def test_the_jwt_secret_is_not_shown_in_repr():
    assert "k" * 40 not in repr(Settings(jwt_secret="k" * 40))


def test_the_idempotency_lease_is_read_and_must_outlast_a_checkout():
    assert Settings.from_env({}).idempotency_lease == timedelta(seconds=60)
    settings = Settings.from_env({"COMMERCE_IDEMPOTENCY_LEASE_S": "120"})
    assert settings.idempotency_lease == timedelta(seconds=120)
    with pytest.raises(SettingsError, match="COMMERCE_IDEMPOTENCY_LEASE_S"):
        Settings.from_env({"COMMERCE_IDEMPOTENCY_LEASE_S": "0"})
    with pytest.raises(SettingsError, match="must outlast a checkout"):
        Settings.from_env(
            {"COMMERCE_IDEMPOTENCY_LEASE_S": "2", "COMMERCE_CHECKOUT_WAIT_MS": "2000"}
        )
