"""Connecting and logging in with poplib, as the tests' scripts share it.

Environment: PORT, CAFILE, POP_USER, POP_PASSWORD; TLS = stls (default) or implicit;
AUTH = user (default), plain (initial response) or plain-continue (RFC 5034 "+ ").
"""
import base64
import os
import poplib
import ssl


def connect():
    ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
    port = int(os.environ['PORT'])
    if os.environ.get('TLS', 'stls') == 'implicit':
        return poplib.POP3_SSL('localhost', port, context=ctx, timeout=20)
    p = poplib.POP3('localhost', port, timeout=20)
    p.stls(context=ctx)
    return p


def login(p, user=None, password=None):
    user = user or os.environ['POP_USER']
    password = password or os.environ['POP_PASSWORD']
    auth = os.environ.get('AUTH', 'user')
    if auth == 'user':
        p.user(user)
        return p.pass_(password)
    # poplib has no AUTH helper: speak RFC 5034 with its command primitives.
    response = base64.b64encode(b'\0' + user.encode() + b'\0' + password.encode()).decode()
    if auth == 'plain':
        return p._shortcmd('AUTH PLAIN ' + response)
    cont = p._shortcmd('AUTH PLAIN')
    assert cont.startswith(b'+ ') or cont == b'+', cont
    return p._shortcmd(response)


def text(b):
    return b.decode('utf-8', 'replace')
