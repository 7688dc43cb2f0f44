"""DELE, then END = quit (commit), rset (then quit) or drop (close without QUIT)."""
import json
import os

from common import connect, login, text

p = connect()
login(p)
out = {'dele': [text(p.dele(n)) for n in os.environ.get('DELE', '1').split(',')]}
out['stat_after_dele'] = list(p.stat())
end = os.environ['END']
if end == 'rset':
    out['rset'] = text(p.rset())
    out['stat_after_rset'] = list(p.stat())
if end == 'drop':
    p.close()
else:
    out['quit'] = text(p.quit())
print(json.dumps(out))
