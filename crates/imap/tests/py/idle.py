"""Two sessions on one folder: A idles while B appends, flags and expunges; A sees EXISTS,
FETCH and EXPUNGE in IDLE, no EXPUNGE during a sequence-number FETCH but at the next NOOP, and
both end with the same UIDs. Prints a JSON summary."""

import json
import time

from imapcheck import check, fetch_items, ok, starttls_login

MESSAGE = b"From: engine@pec.example.it\r\nSubject: Ricevuta di consegna\r\n\r\nconsegnata\r\n"
out = {"idle": []}

a = starttls_login()
b = starttls_login()
ok(a.select("INBOX"), "A SELECT")
ok(b.select("INBOX"), "B SELECT")
ok(b.append("INBOX", None, None, MESSAGE), "B APPEND before IDLE")
ok(a.noop(), "A NOOP")
out["noop_exists"] = [int(x) for x in a.response("EXISTS")[1] if x]


def idle_until(session, wanted, seconds=10):
    """Reads untagged lines in IDLE until one contains `wanted`."""
    deadline = time.time() + seconds
    seen = []
    while time.time() < deadline:
        line = session.readline().decode().strip()
        seen.append(line)
        if wanted in line:
            return seen
    raise AssertionError(f"no {wanted!r} within {seconds} s: {seen}")


tag = a._new_tag().decode()
a.send(f"{tag} IDLE\r\n".encode())
check(a.readline().startswith(b"+ "), "IDLE continuation")
ok(b.append("INBOX", None, None, MESSAGE), "B APPEND during IDLE")
out["idle"] += idle_until(a, "EXISTS")
ok(b.store("2", "+FLAGS", "(\\Flagged)"), "B STORE")
out["idle"] += idle_until(a, "FETCH")
ok(b.store("1", "+FLAGS.SILENT", "(\\Deleted)"), "B STORE \\Deleted")
ok(b.expunge(), "B EXPUNGE")
out["idle"] += idle_until(a, "EXPUNGE")
a.send(b"DONE\r\n")
done = a.readline().decode().strip()
check(done.startswith(f"{tag} OK"), f"DONE answered {done!r}")

# No EXPUNGE while answering a sequence-number FETCH (RFC 3501 7.4.1): it waits for NOOP.
ok(b.store("1", "+FLAGS.SILENT", "(\\Deleted)"), "B STORE \\Deleted")
ok(b.expunge(), "B EXPUNGE")
tag = a._new_tag().decode()
a.send(f"{tag} FETCH 1:* (UID)\r\n".encode())
during = []
while True:
    line = a.readline().decode().strip()
    during.append(line)
    if line.startswith(tag):
        break
out["fetch_during_expunge"] = during
check(not any("EXPUNGE" in l for l in during), f"EXPUNGE during FETCH: {during}")
a.untagged_responses.clear()
ok(a.noop(), "A NOOP after")
out["noop_expunge"] = [int(x) for x in a.response("EXPUNGE")[1] if x]

uids_a = ok(a.uid("SEARCH", "ALL"), "A UID SEARCH")[0].split()
uids_b = ok(b.uid("SEARCH", "ALL"), "B UID SEARCH")[0].split()
check(uids_a == uids_b, f"A sees {uids_a}, B sees {uids_b}")
out["uids"] = [int(x) for x in uids_a]
a.logout()
b.logout()
print(json.dumps(out))
