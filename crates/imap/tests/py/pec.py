"""Real PEC messages appended and read back: BODY[] byte for byte, BODYSTRUCTURE against what
Python's email module parses from the same file, and every part (BODY[n], BODY[n.MIME],
partials) against the email module's payloads. Usage: pec.py FILE... (names under VECTORS).
Prints a JSON summary."""

import base64
import email
import imaplib
import email.policy
import json
import os
import quopri
import sys

from imapcheck import check, fetch_items, ok, starttls_login, text


def py_tree(p):
    if p.get_content_maintype() == "multipart":
        return [p.get_content_type(), [py_tree(x) for x in p.get_payload()]]
    if p.get_content_type() == "message/rfc822":
        return [p.get_content_type(), py_tree(p.get_payload()[0])]
    return p.get_content_type()


def imap_tree(bs):
    if isinstance(bs[0], list):
        i = 0
        while isinstance(bs[i], list):
            i += 1
        return ["multipart/" + text(bs[i]).lower(), [imap_tree(c) for c in bs[:i]]]
    kind = (text(bs[0]) + "/" + text(bs[1])).lower()
    if kind == "message/rfc822":
        return [kind, imap_tree(bs[8])]
    return kind


def numbered(entity, number):
    """(part number, entity) for an entity and everything below it (RFC 3501 6.4.5)."""
    yield number, entity
    if entity.get_content_type() == "message/rfc822":
        inner = entity.get_payload()[0]
        if inner.get_content_maintype() == "multipart":
            for i, p in enumerate(inner.get_payload(), 1):
                yield from numbered(p, f"{number}.{i}")
        else:
            yield f"{number}.1", inner
    elif entity.get_content_maintype() == "multipart":
        for i, p in enumerate(entity.get_payload(), 1):
            yield from numbered(p, f"{number}.{i}")


def top_parts(msg):
    if msg.get_content_maintype() == "multipart":
        for i, p in enumerate(msg.get_payload(), 1):
            yield from numbered(p, str(i))
    else:
        yield "1", msg


def decoded(entity, data):
    cte = (entity.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if cte == "base64":
        return base64.b64decode(data)
    if cte == "quoted-printable":
        return quopri.decodestring(data)
    return data


def normal(b):
    return b.replace(b"\r\n", b"\n").rstrip(b"\n")


def fetch_one(m, item):
    items = fetch_items(ok(m.fetch("%d" % seq, "(%s)" % item), "FETCH " + item))
    return next(iter(items[seq].values()))


m = starttls_login()
ok(m.create("PEC"), "CREATE PEC")
files = sys.argv[1:]
for name in files:
    with open(os.path.join(os.environ["VECTORS"], name), "rb") as f:
        ok(m.append("PEC", None, None, f.read()), "APPEND " + name)
ok(m.select("PEC"), "SELECT PEC")
out = {}
for seq, name in enumerate(files, 1):
    with open(os.path.join(os.environ["VECTORS"], name), "rb") as f:
        # imaplib's APPEND sends every line end as CRLF.
        raw = imaplib.MapCRLF.sub(b"\r\n", f.read())
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    check(fetch_one(m, "BODY.PEEK[]") == raw, f"{name}: BODY[] is the file byte for byte")
    structure = fetch_one(m, "BODYSTRUCTURE")
    tree = imap_tree(structure)
    envelope = fetch_one(m, "ENVELOPE")
    # A message whose MIME is broken (a boundary never closed, say) is read differently by
    # different parsers: only BODY[] and a well-formed BODYSTRUCTURE are required of it.
    defects = sorted({type(d).__name__ for p in msg.walk() for d in p.defects})
    if defects:
        out[name] = {"tree": tree, "defects": defects, "subject": text(envelope[1])}
        continue
    check(tree == py_tree(msg), f"{name}: BODYSTRUCTURE {tree} but email parses {py_tree(msg)}")
    checked = []
    for number, entity in top_parts(msg):
        body = fetch_one(m, f"BODY.PEEK[{number}]")
        if entity.get_content_type() == "message/rfc822":
            header = fetch_one(m, f"BODY.PEEK[{number}.HEADER]")
            inner = entity.get_payload()[0]
            check(body.startswith(header), f"{name} {number}: the message starts with its header")
            parsed = email.message_from_bytes(header, policy=email.policy.compat32)
            check(parsed["Subject"] == inner["Subject"], f"{name} {number}.HEADER subject")
            text_part = fetch_one(m, f"BODY.PEEK[{number}.TEXT]")
            check(normal(header + text_part) == normal(body), f"{name} {number}: HEADER + TEXT = whole")
        elif not entity.is_multipart():
            want = entity.get_payload(decode=True) or b""
            check(normal(decoded(entity, body)) == normal(want), f"{name} {number}: content differs from the email module's")
        if number.count(".") or msg.is_multipart():
            mime = fetch_one(m, f"BODY.PEEK[{number}.MIME]")
            parsed = email.message_from_bytes(mime, policy=email.policy.compat32)
            check(parsed.get_content_type() == entity.get_content_type(),
                  f"{name} {number}.MIME: {parsed.get_content_type()} vs {entity.get_content_type()}")
            check(mime.endswith(b"\n\n") or mime.endswith(b"\r\n\r\n") or mime == b"", f"{name} {number}.MIME ends with the blank line")
        head = fetch_one(m, f"BODY.PEEK[{number}]<0.64>")
        middle = fetch_one(m, f"BODY.PEEK[{number}]<10.20>")
        check(head == body[:64] and middle == body[10:30], f"{name} {number}: partial fetches")
        checked.append(number)
    out[name] = {"tree": tree, "parts": checked, "subject": text(envelope[1])}
m.logout()
print(json.dumps(out))
