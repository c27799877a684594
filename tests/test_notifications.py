"""Notifications (issue 21): mail through the outbox job after the commit, retried without
duplicates; per-user mail preferences by kind; the notification list's filters."""

from __future__ import annotations

import re
import smtplib

import pytest
import sqlalchemy as sa
from rq import SimpleWorker

from saas.auth.models import User
from saas.extensions import db
from saas.jobs import queues
from saas.mail import INTERRUPTED, SentMail, deliver, send_mail, sweep
from saas.notifications import Notification, NotificationPreference, mail_wanted, notify


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what the server accepted; `fail` holds exceptions
    to raise on the next sends."""

    accepted: list = []
    fail: list = []
    connections = 0

    def __init__(self, host, port, timeout=None):
        FakeSMTP.connections += 1

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        failure = FakeSMTP.fail.pop(0) if FakeSMTP.fail else None
        if failure is not None:
            raise failure
        FakeSMTP.accepted.append(msg)

    def quit(self):
        pass

    def close(self):
        pass


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.accepted, FakeSMTP.fail, FakeSMTP.connections = [], [], 0
    return FakeSMTP


def run_jobs():
    """What a worker does with the default queue, in this process (the fake SMTP stays in place)."""
    queue = queues.queue("default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()


def queued_jobs() -> list[str]:
    return queues.queue("default").get_job_ids()


def mails(email=None) -> list[SentMail]:
    select = sa.select(SentMail).order_by(SentMail.id)
    if email:
        select = select.where(SentMail.recipient == email)
    return list(db.session.scalars(select))


def test_mail_is_sent_by_the_job_after_the_commit_not_in_the_request(app, make, smtp):
    make.user("wang@example.com", name="王")
    response = app.test_client().post("/reset", data={"email": "wang@example.com"})
    assert response.status_code == 302
    # The request is over: nothing went to the SMTP server, the message waits in the outbox
    # and its job is queued.
    assert smtp.accepted == [] and smtp.connections == 0
    [mail] = mails("wang@example.com")
    assert mail.status == "queued" and mail.attempts == 0 and "/reset/" in mail.body
    assert len(queued_jobs()) == 1
    run_jobs()
    [msg] = smtp.accepted
    assert msg["To"] == "wang@example.com" and "/reset/" in msg.get_content()
    mail = mails("wang@example.com")[0]
    assert (mail.status, mail.attempts, mail.error) == ("sent", 1, "") and mail.sent_at is not None
    run_jobs()  # nothing left to do
    assert len(smtp.accepted) == 1


def test_a_rolled_back_transaction_sends_nothing(app, make, smtp):
    user = make.user("li@example.com")
    with app.test_request_context():
        notify([user], "审核结果", kind="review")
        db.session.flush()  # written, then the request fails
        db.session.rollback()
    assert mails() == [] and db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert queued_jobs() == []
    run_jobs()
    assert smtp.accepted == []
    # The next transaction that commits queues only its own mail.
    with app.test_request_context():
        notify([db.session.get(User, user.id)], "第二条", kind="review")
        db.session.commit()
    run_jobs()
    assert [m["Subject"] for m in smtp.accepted] == ["第二条"]


def test_a_request_that_fails_after_writing_its_mail_sends_nothing(app, make, smtp, monkeypatch):
    from saas.auth import services, views

    make.user("fail@example.com")

    def send_then_fail(email):
        services.send_reset(email)
        db.session.flush()
        raise RuntimeError("the request fails after the mail was written")

    monkeypatch.setattr(views, "send_reset", send_then_fail)
    assert app.test_client().post("/reset", data={"email": "fail@example.com"}).status_code == 500
    db.session.expire_all()
    assert mails() == [] and queued_jobs() == []
    run_jobs()
    assert smtp.accepted == []


def test_without_a_mail_server_mail_is_kept_and_marked_sent_by_the_job(app, make):
    user = make.user("dev@example.com")
    with app.test_request_context():
        notify([user], "开发环境的通知", "http://localhost/x")
        db.session.commit()
    [mail] = mails()
    assert mail.status == "queued" and "http://localhost/x" in mail.body
    run_jobs()
    assert mails()[0].status == "sent"


def test_a_failed_send_is_retried_and_never_sent_twice(app, make, smtp):
    users = [make.user(f"u{n}@example.com") for n in range(3)]
    with app.test_request_context():
        notify(users, "三人的通知", kind="general")
        db.session.commit()
    [job_id] = queued_jobs()
    # The server accepts the first message, drops the connection on the second; the third goes
    # out on a new connection.
    smtp.fail = [None, smtplib.SMTPServerDisconnected("connection lost")]
    run_jobs()
    first = mails()
    assert [m.status for m in first] == ["sent", "queued", "sent"] and smtp.connections == 2
    assert first[1].attempts == 1 and "SMTPServerDisconnected" in first[1].error
    queue = queues.queue("default")
    assert job_id in queue.scheduled_job_registry.get_job_ids()  # RQ retries it later
    # The retry (moved forward) sends the second, not the others again.
    queue.scheduled_job_registry.requeue(job_id)
    run_jobs()
    assert sorted(m["To"] for m in smtp.accepted) == ["u0@example.com", "u1@example.com", "u2@example.com"]
    assert [m.status for m in mails()] == ["sent", "sent", "sent"]
    # Even run again by hand (a duplicate job), nothing goes out twice.
    with app.app_context():
        deliver(None, [m.id for m in mails()])
    assert len(smtp.accepted) == 3


def test_retries_exhausted_the_failure_is_shown_to_the_platform_admin_who_sends_again(app, make, smtp, login_as):
    make.user("root@example.com", platform_admin=True)
    user = make.user("far@example.com")
    with app.test_request_context():
        notify([user], "发不出去的通知")
        db.session.commit()
    smtp.fail = [smtplib.SMTPServerDisconnected("down")]
    ids = [m.id for m in mails("far@example.com")]
    with app.app_context():
        deliver(None, ids)  # outside RQ: no retry left
    queues.connection().flushdb()  # that job is over
    [mail] = mails("far@example.com")
    assert mail.status == "failed" and "down" in mail.error
    admin = login_as("root@example.com")
    page = admin.get("/admin/mail?status=failed").get_data(as_text=True)
    assert "发不出去的通知" in page and 'data-status="failed"' in page and "down" in page
    assert admin.post("/admin/mail/resend", data={"mail_id": str(mail.id)}).status_code == 302
    assert admin.post("/admin/mail/resend", data={"mail_id": str(mail.id)}).status_code == 302  # double click
    db.session.expire_all()
    assert mails("far@example.com")[0].status == "queued"
    assert len(queued_jobs()) == 1
    run_jobs()
    assert [m["To"] for m in smtp.accepted] == ["far@example.com"]
    assert mails("far@example.com")[0].status == "sent"


def test_a_permanent_refusal_fails_at_once(app, make, smtp):
    user = make.user("gone@example.com")
    with app.test_request_context():
        notify([user], "退信")
        db.session.commit()
    smtp.fail = [smtplib.SMTPRecipientsRefused({"gone@example.com": (550, b"no such user")})]
    run_jobs()
    assert mails()[0].status == "failed"
    assert queues.queue("default").scheduled_job_registry.get_job_ids() == []


def test_the_sweep_requeues_lost_jobs_and_fails_interrupted_sends(app, make, smtp):
    from datetime import timedelta

    from saas.tenancy import utcnow

    for n in range(2):
        send_mail(f"s{n}@example.com", "主题", "正文")
    db.session.commit()
    queues.connection().flushdb()  # the jobs were lost (Redis down at the commit)
    lost, interrupted = mails()
    old = utcnow() - timedelta(hours=1)
    db.session.execute(sa.update(SentMail).values(created_at=old))
    db.session.execute(sa.update(SentMail).where(SentMail.id == interrupted.id).values(status="sending"))
    db.session.commit()
    assert sweep() == 1
    run_jobs()
    lost, interrupted = mails()
    assert lost.status == "sent" and [m["To"] for m in smtp.accepted] == ["s0@example.com"]
    assert interrupted.status == "failed" and interrupted.error == INTERRUPTED  # never resent on its own


def _save_preferences(client, **on):
    data = {f"mail_{kind}": "y" for kind, value in on.items() if value}
    return client.post("/notifications/preferences", data=data)


def test_a_kind_turned_off_still_notifies_in_app_but_not_by_mail(app, make, login_as):
    make.user("off@example.com")
    make.user("other@example.com")
    client = login_as("off@example.com")
    assert client.get("/notifications/preferences").status_code == 200
    # Everything on but deadlines.
    response = _save_preferences(client, review=True, report=True, referral=True, guidance=True, survey=True,
                                 general=True)
    assert response.status_code == 302
    off = User.by_email("off@example.com")
    other = User.by_email("other@example.com")
    assert mail_wanted(off.id)["deadline"] is False and mail_wanted(off.id)["review"] is True
    with app.test_request_context():
        notify([off, other], "截止提醒", kind="deadline")
        notify([off], "审核提醒", kind="review")
        db.session.commit()
    texts = dict(db.session.execute(sa.select(Notification.text, sa.func.count()).where(Notification.user_id == off.id)
                                    .group_by(Notification.text)).all())
    assert texts == {"截止提醒": 1, "审核提醒": 1}  # both in the list
    assert [m.subject for m in mails("off@example.com")] == ["审核提醒"]  # by mail: only the review
    assert [m.subject for m in mails("other@example.com")] == ["截止提醒"]
    # The mail says where to change this.
    assert "/notifications/preferences" in mails("other@example.com")[0].body


def test_account_and_security_mail_cannot_be_turned_off(app, make, login_as):
    make.user("sec@example.com")
    client = login_as("sec@example.com")
    assert _save_preferences(client, account=False).status_code == 302  # everything off, account too
    user = User.by_email("sec@example.com")
    assert mail_wanted(user.id) == {**{k: False for k in mail_wanted(user.id)}, "account": True}
    assert db.session.scalar(sa.select(sa.func.count(NotificationPreference.id))
                             .where(NotificationPreference.kind == "account")) == 0
    app.test_client().post("/reset", data={"email": "sec@example.com"})
    with app.test_request_context():
        notify([user], "账号已变更", kind="account")
        notify([user], "一般通知")
        db.session.commit()
    subjects = [m.subject for m in mails("sec@example.com")]
    assert len(subjects) == 2 and "账号已变更" in subjects and "一般通知" not in subjects


def test_preferences_are_per_user_and_need_the_csrf_token(app, make, login_as, monkeypatch):
    make.user("a@example.com")
    make.user("b@example.com")
    b = User.by_email("b@example.com")
    with app.test_request_context():
        from saas.notifications import set_mail_wanted

        set_mail_wanted(b.id, {"survey": False})
        db.session.commit()
    client = login_as("a@example.com")
    _save_preferences(client, review=True)
    a = User.by_email("a@example.com")
    assert mail_wanted(a.id)["survey"] is False and mail_wanted(a.id)["review"] is True
    assert mail_wanted(b.id) == {**{k: True for k in mail_wanted(b.id)}, "survey": False}  # untouched
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert _save_preferences(client, survey=True).status_code == 400
    assert mail_wanted(a.id)["survey"] is False
    # Reachable from the account page and the notification list.
    assert "/notifications/preferences" in client.get("/account").get_data(as_text=True)
    assert "/notifications/preferences" in client.get("/notifications/").get_data(as_text=True)


def test_unknown_kind_is_filed_as_general_and_notify_takes_no_kind(app, make):
    user = make.user("k@example.com")
    with app.test_request_context():
        notify([user], "无类别")
        notify([user], "未知类别", kind="no-such-kind")
        db.session.commit()
    assert set(db.session.scalars(sa.select(Notification.kind))) == {"general"}


def test_the_list_filters_by_kind_and_unread_and_keeps_pagination(app, make, login_as):
    me = make.user("me@example.com")
    stranger = make.user("stranger@example.com")
    with app.test_request_context():
        for n in range(55):
            db.session.add(Notification(user_id=me.id, kind="deadline", text=f"期限通知{n:02d}"))
        db.session.add(Notification(user_id=me.id, kind="review", text="已读的审核", read=True))
        db.session.add(Notification(user_id=me.id, kind="review", text="未读的审核"))
        db.session.add(Notification(user_id=stranger.id, kind="review", text="别人的审核"))
        db.session.commit()
    client = login_as("me@example.com")
    page = client.get("/notifications/?kind=review").get_data(as_text=True)
    assert "已读的审核" in page and "未读的审核" in page and "期限通知" not in page and "别人的审核" not in page
    page = client.get("/notifications/?kind=review&unread=1").get_data(as_text=True)
    assert "未读的审核" in page and "已读的审核" not in page
    page = client.get("/notifications/?kind=deadline").get_data(as_text=True)
    assert "期限通知54" in page and "期限通知04" not in page  # newest first, 50 a page
    links = re.findall(r'href="\s*(/notifications/\?[^"]*page=2[^"]*)"', page)
    assert links and all("kind=deadline" in link for link in links)
    second = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "期限通知04" in second and "期限通知54" not in second
    assert client.get("/notifications/?kind=<script>&unread=x").status_code == 200  # bad values: ignored



@pytest.mark.slow
def test_a_real_worker_delivers_the_outbox(app, make):
    from .test_jobs import run_worker

    user = make.user("worker@example.com")
    with app.test_request_context():
        notify([user], "真实的后台任务")
        db.session.commit()
    run_worker()
    db.session.expire_all()
    [mail] = mails("worker@example.com")
    assert (mail.status, mail.attempts) == ("sent", 1) and mail.sent_at is not None
