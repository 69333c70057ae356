import os
from pathlib import Path

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
    config = load(str(tmp_path), environ=_production())
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]


def test_factory_takes_test_config(database_url):
    app = create_app({"TESTING": True, "LEDGER_DATABASE_URL": database_url})
    assert app.testing
    assert app.extensions["ledger.db"].engine.url.render_as_string() .startswith(database_url.split(":")[0])


def _production(**overrides) -> dict:
    from ledger.config import _new_signing_key

    return {"LEDGER_ENV": "production", "LEDGER_SECRET_KEY": "s" * 40, "LEDGER_PSEUDONYM_KEY": "p" * 40,
            "LEDGER_SIGNING_KEY": _new_signing_key(), "LEDGER_DATABASE_URL": "postgresql://db/ledger",
            "LEDGER_RATELIMIT_URL": "redis://redis:6379/0", "LEDGER_METRICS_TOKEN": "m" * 40, **overrides}


def test_a_signing_key_that_is_not_ed25519_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="LEDGER_SIGNING_KEY is not an Ed25519 key"):
        load(str(tmp_path), environ=_production(LEDGER_SIGNING_KEY="k" * 44))


def test_rotating_the_secret_key_keeps_request_fingerprints_and_accepts_old_sessions(tmp_path):
    before = load(str(tmp_path), environ=_production())
    after = load(str(tmp_path), environ=_production(LEDGER_SECRET_KEY="n" * 40, LEDGER_SECRET_KEY_FALLBACKS="s" * 40))
    assert after["LEDGER_FINGERPRINT_KEY"] == before["LEDGER_FINGERPRINT_KEY"] != before["SECRET_KEY"]
    assert after["SECRET_KEY_FALLBACKS"] == ["s" * 40]


def test_a_configuration_error_is_one_line_not_a_traceback(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    source = str(Path(__file__).resolve().parents[1])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": source, **_production(LEDGER_SIGNING_KEY="k" * 44)}
    done = subprocess.run([sys.executable, "-c", "from ledger.cli import main; main()", "db", "check"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "ledger: configuration error: LEDGER_SIGNING_KEY is not an Ed25519 key: "
        "An Ed25519 private key is 32 bytes long"]


def test_rotating_the_signing_key_on_start_retires_the_previous_one(committed_app):
    from sqlalchemy import select

    from ledger.config import _new_signing_key
    from ledger.settlement.models import SigningKeyRecord

    url = committed_app.config["LEDGER_DATABASE_URL"]
    for _ in range(2):  # two restarts, each with a new key
        restarted = create_app({"TESTING": True, "LEDGER_DATABASE_URL": url, "LEDGER_SIGNING_KEY": _new_signing_key()})
        restarted.extensions["ledger.db"].engine.dispose()
    with committed_app.app_context(), committed_app.extensions["ledger.db"].new_session() as session:
        rows = session.execute(select(SigningKeyRecord)).scalars().all()
    assert len(rows) == 3 and sum(r.retired_at is None for r in rows) == 1


def test_the_app_for_commands_has_the_commands_and_none_of_the_http_layer(database_url):
    config = {"TESTING": True, "LEDGER_DATABASE_URL": database_url}
    whole, for_commands = create_app(config), create_app(config, http=False)
    try:
        assert not [rule.rule for rule in for_commands.url_map.iter_rules() if rule.endpoint != "static"]
        assert "ledger.limiter" not in for_commands.extensions and "ledger.limiter" in whole.extensions
        assert set(for_commands.cli.commands) == set(whole.cli.commands) - {"openapi"}
    finally:
        for app in (whole, for_commands):
            app.extensions["ledger.db"].engine.dispose()


def _ledger(database_url: str, *args: str, niceness: str = "0"):
    """`ledger ARGS` as an operator runs it (`ledger.cli.main`'s group), and the app it created. In this process:
    so the command's CPU priority stays the test's own unless a test asks for one (and fakes `yield_cpu`)."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from ledger.cli import _create_app, commands
    from ledger.config import _new_signing_key

    info = ScriptInfo(create_app=_create_app, set_debug_flag=False, load_dotenv_defaults=False)
    env = {"LEDGER_ENV": "development", "LEDGER_DATABASE_URL": database_url, "LEDGER_SECRET_KEY": "s" * 40,
           "LEDGER_PSEUDONYM_KEY": "p" * 40, "LEDGER_SIGNING_KEY": _new_signing_key(),
           "LEDGER_BATCH_NICENESS": niceness}
    result = CliRunner().invoke(commands(), list(args), obj=info, env=env, catch_exceptions=False)
    app = info.load_app()
    app.extensions["ledger.db"].engine.dispose()
    return result, app


def test_the_ledgers_own_commands_run_without_the_http_layer(committed_app):
    url = committed_app.config["LEDGER_DATABASE_URL"]
    created, app = _ledger(url, "tokens", "create", "--role", "auditor", "--name", "cli check")
    assert created.exit_code == 0, created.output
    assert not any(rule.rule.startswith("/api/") for rule in app.url_map.iter_rules())
    listed, _ = _ledger(url, "tokens", "list")
    assert listed.exit_code == 0 and "cli check" in listed.output


def test_flasks_and_the_plugins_commands_get_the_whole_app(committed_app):
    from pathlib import Path

    snapshot = Path(__file__).resolve().parents[1] / "contracts" / "openapi.json"
    url = committed_app.config["LEDGER_DATABASE_URL"]
    printed, app = _ledger(url, "openapi", "print")
    assert printed.exit_code == 0 and printed.output == snapshot.read_text()
    assert "ledger.limiter" in app.extensions
    routes, _ = _ledger(url, "routes")
    assert routes.exit_code == 0 and "/api/v1/statements" in routes.output
    helped, _ = _ledger(url, "--help")
    assert "openapi" in helped.output and "statements" in helped.output


def test_the_ledgers_own_commands_yield_the_cpu_to_the_api_and_flasks_do_not(committed_app, monkeypatch):
    from ledger import cli

    asked: list[int] = []
    monkeypatch.setattr(cli, "yield_cpu", asked.append)
    url = committed_app.config["LEDGER_DATABASE_URL"]
    listed, _ = _ledger(url, "tokens", "list", niceness="7")
    assert listed.exit_code == 0 and asked == [7]
    routes, _ = _ledger(url, "routes", niceness="7")
    assert routes.exit_code == 0 and asked == [7]


def test_yielding_the_cpu_lowers_the_priority_to_at_least_the_niceness_and_never_raises_it():
    import subprocess
    import sys

    code = ("import os; from ledger.cli import yield_cpu; "
            "yield_cpu(5); first = os.getpriority(os.PRIO_PROCESS, 0); "
            "yield_cpu(3); print(first, os.getpriority(os.PRIO_PROCESS, 0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    start = os.getpriority(os.PRIO_PROCESS, 0)  # the child starts at the test's own priority
    assert [int(n) for n in done.stdout.split()] == [max(5, start)] * 2


def test_a_command_that_leads_its_own_session_lowers_its_scheduling_group_too():
    """On Linux a session is a scheduling group (autogroup): the niceness of the processes in it does not rank them
    against the API's workers in another, the group's does. A command in a shell's session leaves that group be."""
    import subprocess
    import sys

    from ledger.cli import AUTOGROUP

    if not Path(AUTOGROUP).exists():
        pytest.skip("this kernel schedules no autogroups")
    # The file is empty for a session left in the kernel's default group (as in some containers): no group to lower.
    code = "from ledger.cli import AUTOGROUP, yield_cpu; yield_cpu(6); print(open(AUTOGROUP).read().strip())"
    ours = Path(AUTOGROUP).read_text()
    for own_session in (True, False):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              cwd=Path(__file__).resolve().parents[1], start_new_session=own_session)
        assert done.returncode == 0, done.stderr
        if not (ours.strip() and done.stdout.strip()):
            pytest.skip("sessions here are in the kernel's default scheduling group, not autogroups of their own")
        nice = int(done.stdout.split()[-1])
        assert nice >= 6 if own_session else nice == int(ours.split()[-1]), (own_session, done.stdout)
    assert Path(AUTOGROUP).read_text() == ours


def test_lowering_a_group_never_raises_it_and_passes_over_what_it_cannot_read(tmp_path):
    from ledger.cli import lower_group

    group = tmp_path / "autogroup"
    group.write_text("/autogroup-7 nice 0\n")
    lower_group(10, str(group))
    assert group.read_text() == "10"
    for left in ("/autogroup-7 nice 15\n", "no niceness here", ""):
        group.write_text(left)
        lower_group(10, str(group))
        assert group.read_text() == left
    lower_group(10, str(tmp_path / "absent"))  # a kernel without autogroups: nothing to lower, no error


def test_the_batch_niceness_is_a_niceness(tmp_path):
    assert load(str(tmp_path), environ={})["LEDGER_BATCH_NICENESS"] == 10
    assert load(str(tmp_path), environ={"LEDGER_BATCH_NICENESS": "0"})["LEDGER_BATCH_NICENESS"] == 0
    for wrong in ("-5", "20", "low"):
        with pytest.raises(ConfigError, match="LEDGER_BATCH_NICENESS"):
            load(str(tmp_path), environ={"LEDGER_BATCH_NICENESS": wrong})


def test_the_workers_entry_point_puts_start_up_out_of_the_collectors_reach(committed_app):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ledger.config import _new_signing_key

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "LEDGER_ENV": "development",
           "LEDGER_DATABASE_URL": committed_app.config["LEDGER_DATABASE_URL"], "LEDGER_SECRET_KEY": "s" * 40,
           "LEDGER_PSEUDONYM_KEY": "p" * 40, "LEDGER_SIGNING_KEY": _new_signing_key()}
    done = subprocess.run([sys.executable, "-c", "import gc, ledger.wsgi; print(gc.get_freeze_count())"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 100_000


def _read_secret(instance: str) -> str:
    from ledger.config import _development_secret

    return _development_secret(Path(instance), "LEDGER_SIGNING_KEY")


def test_processes_starting_together_share_one_whole_development_secret(tmp_path):
    """Parallel workers starting on a fresh checkout: each reads the one key written whole, never an empty file."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_read_secret, [str(tmp_path)] * 8)
    assert keys[0] and set(keys) == {keys[0]}
    assert [p.name for p in tmp_path.iterdir()] == ["signing_key"]
