"""Configuration, start-up, health, error pages, request logs, the embedded Valkey."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import redis

from saas import ConfigError, create_app
from saas.jobs import embedded

from .conftest import TEST_CONFIG, Client

ROOT = Path(__file__).resolve().parent.parent


def test_wsgi_holds_only_the_factory_call():
    # Configuration lives in the factory; the entry point only builds the app and lets the
    # long-running process settle (saas/process.py).
    lines = [l for l in (ROOT / "wsgi.py").read_text().splitlines() if l.strip()]
    assert lines == ["from saas import create_app", "from saas.process import settle", "app = create_app()", "settle()"]


@pytest.mark.parametrize("env, reason", [
    ({"APP_ENV": "production", "SECRET_KEY": "", "REDIS_URL": "redis://x"}, "SECRET_KEY"),
    ({"APP_ENV": "production", "SECRET_KEY": "short", "REDIS_URL": "redis://x"}, "at least 32"),
    ({"APP_ENV": "production", "SECRET_KEY": "k" * 40, "REDIS_URL": ""}, "REDIS_URL must be set"),
    ({"DATABASE_URL": "mysql://localhost/x"}, "DATABASE_URL"),
    ({"REDIS_URL": "http://localhost"}, "REDIS_URL must start"),
    ({"MAX_UPLOAD_MB": "lots"}, "bad configuration value"),
    ({"JOB_MAINTENANCE_SECONDS": "0"}, "JOB_MAINTENANCE_SECONDS"),
    ({"APP_ENV": "staging"}, "APP_ENV"),
])
def test_bad_configuration_fails_at_start_with_one_line(monkeypatch, env, reason):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        create_app()
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_development_secret_key_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_default_database_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'app.db'}"
    with app.app_context():
        from saas.extensions import db

        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_create_app_does_not_connect(monkeypatch):
    # Nothing listens on these ports: building the app must still succeed.
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1:9/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    app = create_app(TEST_CONFIG)
    app.test_client_class = Client
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"database": "unavailable", "queue": "unavailable"}


def test_health_ok_with_what_an_operator_watches(client, app):
    """Queue depth and failed jobs per queue, counted by RQ in Redis (README, what to watch)."""
    from rq.job import Job

    from saas.jobs import queues

    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and (body["database"], body["queue"]) == ("ok", "ok")
    assert body["queued"] == {name: 0 for name in queues.QUEUES}
    assert body["failed"] == {name: 0 for name in queues.QUEUES}
    with app.app_context():
        queues.queue("imports").enqueue("builtins.print", "x")
        failed = queues.queue("documents").enqueue("builtins.print", "y")
        failed.set_status("failed")
        queues.queue("documents").failed_job_registry.add(Job.fetch(failed.id, connection=queues.connection()), -1)
    body = client.get("/healthz").get_json()
    assert body["queued"]["imports"] == 1 and body["failed"]["documents"] == 1


def test_server_error_shows_a_reference_never_a_traceback(caplog):
    app = create_app(TEST_CONFIG)

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    app.test_client_class = Client
    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/boom-for-test", headers={"X-Request-ID": "ref-12345678"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "ref-12345678" in body and "secret internals" not in body and "Traceback" not in body
    assert any("ref=ref-12345678" in r.getMessage() and r.exc_info for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_one_log_line_per_request(client, caplog, make, login_as):
    tenant = make.tenant(slug="logged")
    user_id = make.user("u@example.com", tenant=tenant).id
    client = login_as("u@example.com")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="saas.request"):
        response = client.get("/t/logged/")
    lines = [r.getMessage() for r in caplog.records if r.name == "saas.request"]
    assert len(lines) == 1
    assert response.headers["X-Request-ID"] in lines[0]
    assert "status=200" in lines[0] and "tenant=logged" in lines[0] and "duration_ms=" in lines[0]
    assert f"user={user_id} " in lines[0]


def test_friendly_404_in_both_languages(client):
    assert "页面不存在" in client.get("/nope").get_data(as_text=True)
    assert "Page not found" in client.get("/nope", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_upload_size_limit_answers_413(app, make, login_as, monkeypatch):
    make.user("u@example.com")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = login_as("u@example.com").post("/account", data={"name": "x" * 5000})
    assert response.status_code == 413


def test_embedded_valkey_starts_once_and_is_shared(tmp_path):
    server = embedded.ensure_running(str(tmp_path))
    try:
        assert server is not None
        assert embedded.ensure_running(str(tmp_path)) is None  # a second process would reuse it
        conn = redis.Redis.from_url(embedded.url(str(tmp_path)))
        conn.set("k", "v")
        assert conn.get("k") == b"v"
        assert (tmp_path / "valkey" / "valkey.sock").exists()
    finally:
        server.stop()


def test_static_assets_are_local(client):
    page = client.get("/login").get_data(as_text=True)
    assert "bootstrap" in page and "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for src in ("/bootstrap/static/css/bootstrap.min.css", "/static/app.js"):
        assert src.split("/")[-1] in page


def test_pdf_has_searchable_chinese_repeating_headers_and_inert_user_text(app):
    """saas.pdf: real text (pdftotext finds it), a table over several pages with its header on
    each, and user input rendered as text — no script, no local file read."""
    import subprocess

    from saas.pdf import render_pdf

    evil = "恶意<script>document.write('x')</script><iframe src='file:///etc/passwd'></iframe>"
    rows = [{"name": f"{evil}{i}", "unit": "%", "target": "60", "actual": "50%", "reached": "否"} for i in range(120)]
    with app.test_request_context():
        pdf = render_pdf("pdf/plan.html", {
            "locale": "zh_CN", "tenant": "光谷生物医药产业园", "exported": "2026-11-21", "title": "年度工作计划",
            "rows": rows, "labels": {"target": "目标名称", "value": "目标值", "actual": "实际完成", "reached": "是否完成"},
            "sections": [{"title": "重点任务", "text": "完善联系企业名录"}]})
    assert pdf.startswith(b"%PDF-")
    pages = []
    for page in range(1, 4):
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-", "-"], input=pdf,
                             capture_output=True, check=True).stdout.decode()
        pages.append(out)  # exactly the characters written (saas/pdf/text.py)
    assert "光谷生物医药产业园" in pages[0] and "年度工作计划" in pages[0]
    assert all("目标名称" in p for p in pages), "the table header repeats on every page"
    assert "<script>" in pages[0]  # shown as text, not run
    assert "root:" not in "".join(pages)


def test_database_outage_is_a_503_that_says_nothing_was_saved():
    """A real connection failure (nothing listens on port 9): pages and the API answer 503 with
    Retry-After, in words, instead of a 500."""
    from saas import create_app

    from .conftest import TEST_CONFIG

    down = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/none",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    client = down.test_client()
    form = {"email": "admin@example.com", "password": "correct-horse-battery"}
    page = client.post("/login", data=form, headers={"Accept-Language": "en"})
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert "nothing of this request was saved" in page.get_data(as_text=True)
    assert "数据库" in client.post("/login", data=form, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    api = client.get("/api/v1/tenants/park/enterprises", headers={"Authorization": "Bearer tsb_" + "x" * 43})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "unavailable"


def test_session_teardown_survives_a_lost_connection(app):
    """Flask-SQLAlchemy's own teardown is replaced by one that tolerates a dead connection (the
    database restarting after a response was ready), so the response is not turned into a 500."""
    import sqlalchemy as sa

    from saas.database import _remove_session

    names = [getattr(f, "__name__", "") for f in app.teardown_appcontext_funcs]
    assert "_teardown_session" not in names and names.count("_remove_session") == 1
    with app.app_context():
        from saas.extensions import db

        class Dead:
            calls = 0

            def close(self):
                Dead.calls += 1
                raise sa.exc.OperationalError("ROLLBACK", {}, Exception("terminating connection"))

        db.session.registry.set(Dead())
        _remove_session()  # must not raise
        assert Dead.calls == 2 and not db.session.registry.has()


def test_every_page_starts_with_a_skip_link_to_its_content(client):
    """Keyboard users skip the two navigation bars (issue 22): the first link of the body goes
    to the main content, which can take the focus."""
    page = client.get("/login").get_data(as_text=True)
    body = page[page.index("<body>"):]
    first_link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', body)
    assert first_link.group(1) == "#content" and first_link.group(2) == "跳到正文"
    assert '<main class="container-fluid py-3" id="content" tabindex="-1">' in body
