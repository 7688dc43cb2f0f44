"""Logins that must fail: print each -ERR line. LOGIN_AS = address[:password], comma-separated;
TLS=none tries USER before any TLS."""
import json
import os
import poplib

from common import connect, login, text

out = {}
if os.environ.get('TLS') == 'none':
    p = poplib.POP3('localhost', int(os.environ['PORT']), timeout=20)
    out['capa'] = sorted(p.capa().keys())
    for what, step in [('user', lambda: p.user(os.environ['POP_USER'])),
                       ('auth', lambda: p._shortcmd('AUTH PLAIN AGEAYg==')),
                       ('stat', lambda: p.stat())]:
        try:
            step()
            out[what] = 'accepted'
        except poplib.error_proto as e:
            out[what] = text(e.args[0])
    p.quit()
else:
    for who in os.environ['LOGIN_AS'].split(','):
        user, _, password = who.partition(':')
        p = connect()
        try:
            out[who] = 'accepted: ' + text(login(p, user, password or None))
        except poplib.error_proto as e:
            out[who] = text(e.args[0])
        p.close()
print(json.dumps(out))
