"""Logging in on an implicit-TLS port (IMAP4_SSL): AUTHENTICATE PLAIN and LOGIN, and the
refusals: closed mailbox, throttled account; a suspended mailbox reads but cannot change
anything. Prints a JSON summary."""

import imaplib
import json
import os

from imapcheck import PASSWORD, PORT, USER, check, context, ok

out = {}


def connect():
    return imaplib.IMAP4_SSL("localhost", PORT, ssl_context=context())


m = connect()
out["caps"] = sorted(m.capabilities)
data = ok(m.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode()), "AUTHENTICATE PLAIN")
out["plain"] = data[0].decode()
ok(m.select("INBOX"), "SELECT")
m.logout()

m = connect()
answers = iter([USER.encode(), PASSWORD.encode()])
challenges = []


def login_mechanism(challenge):
    challenges.append(challenge.decode())
    return next(answers)


ok(m.authenticate("LOGIN", login_mechanism), "AUTHENTICATE LOGIN")
out["login_challenges"] = challenges
m.logout()

m = connect()
try:
    m.authenticate("PLAIN", lambda _: f"\0{USER}\0wrong".encode())
    raise AssertionError("wrong password accepted")
except imaplib.IMAP4.error as e:
    out["plain_wrong"] = str(e)
try:
    m.login(os.environ["CLOSED"], PASSWORD)
    raise AssertionError("closed mailbox logged in")
except imaplib.IMAP4.error as e:
    out["closed"] = str(e)
try:
    m.login(os.environ["THROTTLED"], PASSWORD)
    raise AssertionError("throttled account logged in")
except imaplib.IMAP4.error as e:
    out["throttled"] = str(e)
# Three failures end the session (the engine limits across sessions as well).
try:
    m.noop()
    out["after_three_failures"] = "still open"
except (imaplib.IMAP4.abort, OSError) as e:
    out["after_three_failures"] = "closed"

m = connect()
ok(m.login(os.environ["SUSPENDED"], PASSWORD), "LOGIN suspended")
try:
    m.select("INBOX")
    out["suspended_select"] = "read-write"
except imaplib.IMAP4.readonly:
    out["suspended_select"] = "read-only"
    m.is_readonly = True  # imaplib would refuse APPEND itself; the server's answer is wanted
typ, dat = m.append("INBOX", None, None, b"Subject: x\r\n\r\ny\r\n")
out["suspended_append"] = [typ, dat[0].decode()]
typ, dat = m.create("Nuova")
out["suspended_create"] = [typ, dat[0].decode()]
m.logout()
print(json.dumps(out))
