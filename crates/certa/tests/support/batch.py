"""Submit many PEC messages over several concurrent SMTP sessions (smtplib) and print
one JSON line per message as soon as its DATA is answered: {"i", "sender", "code", "text"}.
A session that loses its server (the crash test kills it) reports code -1 for the
rest of its messages.

usage: batch.py CONFIG.json   (host, port, ca, senders [[address, password]...],
                               recipients [...], count)
"""
import json
import smtplib
import ssl
import sys
import threading

cfg = json.load(open(sys.argv[1]))
lock = threading.Lock()


def report(**kw):
    with lock:
        print(json.dumps(kw), flush=True)


def worker(w, sender, password, indexes):
    ctx = ssl.create_default_context(cafile=cfg["ca"])
    s = None
    for i in indexes:
        try:
            if s is None:
                s = smtplib.SMTP(cfg["host"], cfg["port"], timeout=30)
                s.starttls(context=ctx)
                s.login(sender, password)
            msg = (
                f"From: {sender}\r\nTo: {', '.join(cfg['recipients'])}\r\nSubject: Lotto {i}\r\n"
                f"Message-ID: <batch-{i}@client.test>\r\n\r\nMessaggio {i} del lotto.\r\n"
            ).encode()
            s.mail(sender)
            for r in cfg["recipients"]:
                s.rcpt(r)
            code, text = s.data(msg)
            report(i=i, sender=sender, code=code, text=text.decode())
        except Exception as e:  # the server went away
            report(i=i, sender=sender, code=-1, text=str(e))
            s = None


threads = []
n = cfg["count"]
senders = cfg["senders"]
for w, (sender, password) in enumerate(senders):
    idx = list(range(w, n, len(senders)))
    t = threading.Thread(target=worker, args=(w, sender, password, idx))
    t.start()
    threads.append(t)
for t in threads:
    t.join()
