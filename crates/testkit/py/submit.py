"""Submit one message with Python's smtplib (a real client) and print the outcome as JSON.

usage: submit.py HOST PORT CA_FILE USER PASSWORD MAIL_FROM RCPT[,RCPT...] MESSAGE_FILE [--no-tls] [--no-auth] [--implicit]
"""
import json
import smtplib
import ssl
import sys

host, port, ca, user, password, mail_from, rcpts, path = sys.argv[1:9]
flags = sys.argv[9:]
rcpts = [r for r in rcpts.split(",") if r]
message = open(path, "rb").read()
out = {}
try:
    ctx = ssl.create_default_context(cafile=ca)
    if "--implicit" in flags:
        s = smtplib.SMTP_SSL(host, int(port), context=ctx, timeout=60)
    else:
        s = smtplib.SMTP(host, int(port), timeout=60)
        s.ehlo("client.test")
        if "--no-tls" not in flags:
            s.starttls(context=ctx)
            s.ehlo("client.test")
    if "--no-auth" not in flags:
        s.login(user, password)
    code, text = s.mail(mail_from)
    if code != 250:
        out = {"stage": "mail", "code": code, "text": text.decode()}
    else:
        refused = {}
        for r in rcpts:
            c, t = s.rcpt(r)
            if c not in (250, 251):
                refused[r] = [c, t.decode()]
        if len(refused) == len(rcpts):
            out = {"stage": "rcpt", "code": list(refused.values())[0][0], "text": list(refused.values())[0][1], "refused": refused}
        else:
            code, text = s.data(message)
            out = {"stage": "data", "code": code, "text": text.decode(), "refused": refused}
    s.quit()
except smtplib.SMTPNotSupportedError as e:
    out = {"stage": "auth", "code": 0, "text": "not supported: " + str(e)}
except smtplib.SMTPAuthenticationError as e:
    out = {"stage": "auth", "code": e.smtp_code, "text": e.smtp_error.decode()}
except smtplib.SMTPResponseException as e:
    out = {"stage": "error", "code": e.smtp_code, "text": e.smtp_error.decode() if isinstance(e.smtp_error, bytes) else str(e.smtp_error)}
print(json.dumps(out))
