"""Every reading command of a session, printed as JSON for the Rust test to check."""
import base64
import json

from common import connect, login, text

p = connect()
out = {'welcome': text(p.getwelcome())}
out['capa'] = {k: v for k, v in p.capa().items()}
out['login'] = text(login(p))
count, size = p.stat()
out['stat'] = [count, size]
resp, listing, _ = p.list()
out['list_status'] = text(resp)
out['list'] = [text(l) for l in listing]
out['list_one'] = text(p.list(2))
resp, uidls, _ = p.uidl()
out['uidl'] = [text(l) for l in uidls]
out['uidl_one'] = text(p.uidl(3))
resp, top, _ = p.top(2, 3)
out['top'] = [text(l) for l in top]
resp, top, _ = p.top(1, 0)
out['top_zero'] = [text(l) for l in top]
out['retr'] = []
for n in range(1, count + 1):
    resp, lines, octets = p.retr(n)
    # poplib strips the CRLFs and undoes the dot-stuffing.
    out['retr'].append({
        'status': text(resp),
        'message': base64.b64encode(b''.join(l + b'\r\n' for l in lines)).decode(),
        'octets': octets,
    })
out['noop'] = text(p.noop())
out['quit'] = text(p.quit())
print(json.dumps(out))
