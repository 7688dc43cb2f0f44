"""An ordinary mail server (not PEC) for the tests: stores every message it gets as
DIR/N.eml and prints its port on the first line. Python's smtpd (3.11)."""
import asyncore
import os
import sys
import warnings

warnings.simplefilter("ignore")
import smtpd  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


class Sink(smtpd.SMTPServer):
    n = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        Sink.n += 1
        with open(os.path.join(out, f"{Sink.n}.eml"), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        with open(os.path.join(out, f"{Sink.n}.rcpt"), "w") as f:
            f.write("\n".join(rcpttos))


server = Sink(("127.0.0.1", 0), None, decode_data=False)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
