"""Helpers shared by the imaplib test scripts: connecting, asserting, and reading the
parenthesised data of FETCH responses (BODYSTRUCTURE, ENVELOPE) that imaplib leaves raw."""

import imaplib
import os
import re
import ssl

PORT = int(os.environ["PORT"])
USER = os.environ["USER"]
PASSWORD = os.environ["PASSWORD"]


def context():
    return ssl.create_default_context(cafile=os.environ["CAFILE"])


def starttls_login(user=USER, password=PASSWORD):
    m = imaplib.IMAP4("localhost", PORT)
    m.starttls(ssl_context=context())
    m.login(user, password)
    return m


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def ok(result, what):
    typ, data = result
    check(typ == "OK", f"{what}: {typ} {data!r}")
    return data


def code(data, name):
    """The arguments of response code [NAME ...] in a tagged response's text."""
    for item in data:
        if isinstance(item, bytes):
            found = re.search(rb"\[" + name.encode() + rb" ([^\]]*)\]", item)
            if found:
                return found.group(1).decode()
    return None


def tokens(data):
    """imaplib FETCH data (bytes, and (prefix, literal) tuples) as one token list."""
    out = []
    for item in data:
        if isinstance(item, tuple):
            prefix, literal = item
            prefix = re.sub(rb"\{\d+\}$", b"", prefix)
            out.extend(tokenize(prefix))
            out.append(literal)
        elif isinstance(item, bytes):
            out.extend(tokenize(item))
    return out


def tokenize(raw):
    out = []
    i = 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c in (b" ", b"\r", b"\n"):
            i += 1
        elif c in (b"(", b")"):
            out.append(c.decode())
            i += 1
        elif c == b'"':
            j = i + 1
            s = bytearray()
            while raw[j:j + 1] != b'"':
                if raw[j:j + 1] == b"\\":
                    j += 1
                s += raw[j:j + 1]
                j += 1
            out.append(bytes(s))
            i = j + 1
        else:
            j = i
            while j < len(raw) and raw[j:j + 1] not in (b" ", b"(", b")", b"\r", b"\n"):
                j += 1
            atom = raw[i:j]
            # A section name like BODY[HEADER.FIELDS (SUBJECT)] holds spaces and parentheses.
            if b"[" in atom and b"]" not in atom:
                j = raw.index(b"]", i) + 1
                while j < len(raw) and raw[j:j + 1] not in (b" ", b")"):
                    j += 1
                atom = raw[i:j]
            out.append(("atom", atom.decode()))
            i = j
    return out


def sexpr(toks):
    """Nested lists from tokens; atoms stay ("atom", text), strings bytes, NIL None."""
    pos = 0

    def value():
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "(":
            items = []
            while toks[pos] != ")":
                items.append(value())
            pos += 1
            return items
        if isinstance(t, tuple) and t[1].upper() == "NIL":
            return None
        return t

    items = []
    while pos < len(toks):
        items.append(value())
    return items


def fetch_items(data):
    """{seq: {ITEM: value}} from FETCH data."""
    result = {}
    parsed = sexpr(tokens(data))
    i = 0
    while i + 1 < len(parsed):
        seq = int(parsed[i][1])
        pairs = parsed[i + 1]
        items = {}
        for k in range(0, len(pairs) - 1, 2):
            items[pairs[k][1].upper()] = pairs[k + 1]
        result.setdefault(seq, {}).update(items)
        i += 2
    return result


def text(v):
    if v is None:
        return None
    if isinstance(v, tuple):
        return v[1]
    return v.decode("utf-8", "replace")
