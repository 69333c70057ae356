import pytest

from ledger import create_app
from ledger.config import ConfigError, load


def test_development_generates_secrets_once(tmp_path):
    first = load(str(tmp_path), environ={})
    second = load(str(tmp_path), environ={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["LEDGER_PSEUDONYM_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["LEDGER_DATABASE_URL"] == f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigError) as error:
        load(str(tmp_path), environ={"LEDGER_ENV": "production", "LEDGER_SECRET_KEY": "s" * 40})
    message = str(error.value)
    for name in ("LEDGER_PSEUDONYM_KEY", "LEDGER_SIGNING_KEY", "LEDGER_DATABASE_URL"):
        assert name in message
    assert "LEDGER_SECRET_KEY" not in message
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_short_secrets(tmp_path):
    env = {"LEDGER_ENV": "production", "LEDGER_SECRET_KEY": "dev", "LEDGER_PSEUDONYM_KEY": "p" * 40,
           "LEDGER_SIGNING_KEY": "k" * 44, "LEDGER_DATABASE_URL": "postgresql://db/ledger"}
    with pytest.raises(ConfigError, match="LEDGER_SECRET_KEY"):
        load(str(tmp_path), environ=env)


def test_production_cookies_are_secure(tmp_path):
    env = {"LEDGER_ENV": "production", "LEDGER_SECRET_KEY": "s" * 40, "LEDGER_PSEUDONYM_KEY": "p" * 40,
           "LEDGER_SIGNING_KEY": "k" * 44, "LEDGER_DATABASE_URL": "postgresql://db/ledger"}
    config = load(str(tmp_path), environ=env)
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]


def test_factory_takes_test_config(database_url):
    app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": database_url})
    assert app.testing
    assert app.extensions["ledger.db"].engine.url.render_as_string() .startswith(database_url.split(":")[0])
