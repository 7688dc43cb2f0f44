"""Every command through imaplib over STARTTLS: the not-authenticated state, folders, APPEND,
SELECT/EXAMINE, FETCH, SEARCH, STORE, COPY/MOVE, EXPUNGE, CONDSTORE, QUOTA, and LOGOUT.
Asserts as it goes; prints a JSON summary on its last line."""

import imaplib
import json
import time

from imapcheck import PORT, USER, PASSWORD, check, code, context, fetch_items, ok, text

out = {}


def refused(command):
    """imaplib raises on BAD: the error text, or a failure if the command went through."""
    try:
        result = command()
    except imaplib.IMAP4.error as e:
        return str(e)
    raise AssertionError(f"accepted: {result}")


m = imaplib.IMAP4("localhost", PORT)
out["caps_before_tls"] = sorted(m.capabilities)
check("STARTTLS" in m.capabilities and "LOGINDISABLED" in m.capabilities, m.capabilities)
check("AUTH=PLAIN" not in m.capabilities, "no AUTH before TLS")

# Commands before login: BAD, and the connection stays usable.
m.state = "AUTH"  # past imaplib's own state check, to see the server's answer
out["select_before_login"] = refused(lambda: m._simple_command("SELECT", "INBOX"))
m.state = "NONAUTH"
try:
    m.login(USER, PASSWORD)
    raise AssertionError("LOGIN before TLS accepted")
except imaplib.IMAP4.error as e:
    out["login_before_tls"] = str(e)
ok(m.noop(), "NOOP before login")

m.starttls(ssl_context=context())
out["caps_after_tls"] = sorted(m.capabilities)
check("AUTH=PLAIN" in m.capabilities and "STARTTLS" not in m.capabilities, m.capabilities)
try:
    m.login(USER, "wrong password")
    raise AssertionError("wrong password accepted")
except imaplib.IMAP4.error as e:
    out["wrong_password"] = str(e)
data = ok(m.login(USER, PASSWORD), "LOGIN")
out["login"] = text(data[0])
caps = ok(m.capability(), "CAPABILITY")[0].decode()
for cap in ["IDLE", "UIDPLUS", "MOVE", "CONDSTORE", "QUOTA", "SPECIAL-USE", "NAMESPACE", "ID", "ENABLE", "LITERAL+", "LIST-EXTENDED"]:
    check(cap in caps.split(), f"{cap} in {caps}")
ok(m.noop(), "NOOP")

# ID (RFC 2971), NAMESPACE (RFC 2342), ENABLE (RFC 5161).
ok(m.xatom("ID", '("name" "imaplib" "version" "3")'), "ID")
out["id"] = text(m.response("ID")[1][0])
out["namespace"] = text(ok(m.namespace(), "NAMESPACE")[0])
ok(m.enable("CONDSTORE"), "ENABLE")
out["enabled"] = text(m.response("ENABLED")[1][0])

# LIST, SPECIAL-USE, LIST-EXTENDED.
out["list"] = sorted(text(x) for x in ok(m.list(), "LIST"))
out["list_delimiter"] = [text(x) for x in ok(m.list('""', '""'), "LIST delimiter")]
typ, dat = m._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
out["list_special_use"] = sorted(text(x) for x in m._untagged_response(typ, dat, "LIST")[1])
typ, dat = m._simple_command("LIST", '""', '("INBOX" "Sent")', "RETURN", "(SUBSCRIBED CHILDREN)")
out["list_return"] = sorted(text(x) for x in m._untagged_response(typ, dat, "LIST")[1])

# CREATE (with superiors), SUBSCRIBE, LSUB, RENAME (with inferiors), DELETE.
ok(m.create("Progetti/2024"), "CREATE")
out["list_after_create"] = sorted(text(x) for x in ok(m.list('""', "Progetti*"), "LIST Progetti"))
ok(m.unsubscribe("Progetti"), "UNSUBSCRIBE")
out["lsub"] = sorted(text(x) for x in ok(m.lsub('""', "Progetti*"), "LSUB") if x)
ok(m.subscribe("Progetti"), "SUBSCRIBE")
ok(m.rename("Progetti", "Archivio"), "RENAME")
out["list_after_rename"] = sorted(text(x) for x in ok(m.list('""', "*"), "LIST") if b"Archivio" in x)
typ, dat = m.create("Archivio")
check(typ == "NO" and b"ALREADYEXISTS" in dat[0], f"CREATE existing: {typ} {dat}")
typ, dat = m.delete("Sent")
check(typ == "NO", f"DELETE Sent: {typ} {dat}")
ok(m.delete("Archivio/2024"), "DELETE child")
ok(m.delete("Archivio"), "DELETE")
typ, dat = m.delete("Archivio")
check(typ == "NO" and b"NONEXISTENT" in dat[0], f"DELETE missing: {dat}")

# APPEND: UIDPLUS APPENDUID, flags, internal date; a sent copy and a draft.
messages = [
    b"From: Mario Rossi <mario.rossi@pec.example.it>\r\nTo: alice@pec.example.it\r\n"
    b"Subject: Fattura 2024/17\r\nDate: Mon, 4 Mar 2024 10:00:00 +0100\r\nMessage-ID: <f17@pec.example.it>\r\n\r\n"
    b"Gentile cliente,\r\nin allegato la fattura.\r\n",
    b"From: =?utf-8?q?Lucia_Bianchi?= <lucia@example.com>\r\nTo: alice@pec.example.it\r\n"
    b"Subject: =?utf-8?b?UmljZXZ1dGEgZGkgY29uc2VnbmE=?=\r\nDate: Tue, 5 Mar 2024 11:00:00 +0100\r\n"
    b"X-Priority: 1\r\n\r\nconsegna avvenuta\r\n",
    b"From: alice@pec.example.it\r\nTo: ufficio@pec.example.it\r\nSubject: Domanda\r\n"
    b"Date: Wed, 6 Mar 2024 12:00:00 +0100\r\n\r\n" + b"riga di testo\r\n" * 200,
]
uids = []
for i, msg in enumerate(messages):
    when = imaplib.Time2Internaldate(time.mktime((2024, 3, 4 + i, 9, 0, 0, 0, 0, -1)))
    data = ok(m.append("INBOX", "(\\Seen)" if i == 2 else None, when, msg), "APPEND")
    appenduid = code(data, "APPENDUID")
    check(appenduid is not None, f"APPENDUID in {data}")
    uids.append(int(appenduid.split()[1]))
out["append_uids"] = uids
ok(m.append("Sent", "(\\Seen)", None, messages[2]), "APPEND Sent")
ok(m.append("Drafts", "(\\Draft)", None, b"Subject: bozza\r\n\r\nda finire\r\n"), "APPEND Drafts")
typ, dat = m.append("Nonexistent", None, None, messages[0])
check(typ == "NO" and b"TRYCREATE" in dat[0], f"APPEND to a missing folder: {typ} {dat}")

# STATUS.
out["status"] = text(ok(m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)"), "STATUS")[0])

# SELECT.
exists = ok(m.select("INBOX"), "SELECT")
out["select_exists"] = int(exists[0])
out["select_flags"] = text(m.response("FLAGS")[1][0])
out["permanentflags"] = text(m.response("PERMANENTFLAGS")[1][0])
out["uidvalidity"] = int(m.response("UIDVALIDITY")[1][0])
out["highestmodseq"] = int(m.response("HIGHESTMODSEQ")[1][0])
out["read_write"] = m.response("READ-WRITE")[1] != [None]

# FETCH: flags, dates, sizes, envelope, sections, partials, PEEK.
items = fetch_items(ok(m.fetch("1:*", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE UID)"), "FETCH"))
check(sorted(items) == [1, 2, 3], items.keys())
out["sizes"] = [int(items[n]["RFC822.SIZE"][1]) for n in (1, 2, 3)]
check(out["sizes"] == [len(x) for x in messages], out["sizes"])
env = items[1]["ENVELOPE"]
out["envelope1"] = {
    "date": text(env[0]),
    "subject": text(env[1]),
    "from": [[text(x) for x in a] for a in env[2]],
    "sender": [[text(x) for x in a] for a in env[3]],
    "message_id": text(env[9]),
}
out["internaldate1"] = text(items[1]["INTERNALDATE"])
out["flags3"] = [text(f) for f in items[3]["FLAGS"]]

raw = fetch_items(ok(m.fetch("1", "(BODY.PEEK[])"), "FETCH BODY.PEEK[]"))[1]["BODY[]"]
check(raw == messages[0], "BODY[] is the message byte for byte")
parts = fetch_items(ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[TEXT]<0.7> BODY.PEEK[1]<8.7>)"), "FETCH sections"))[1]
out["header_fields"] = text(parts["BODY[HEADER.FIELDS (SUBJECT FROM)]"])
out["text_partial"] = text(parts["BODY[TEXT]<0>"])
out["part1_partial"] = text(parts["BODY[1]<8>"])
flags = fetch_items(ok(m.fetch("1", "(FLAGS)"), "FETCH FLAGS"))[1]["FLAGS"]
check(("atom", "\\Seen") not in flags, f"PEEK leaves \\Seen alone: {flags}")
after = fetch_items(ok(m.fetch("1", "(BODY[HEADER])"), "FETCH BODY[HEADER]"))[1]
check(("atom", "\\Seen") in after.get("FLAGS", []), f"BODY[] sets \\Seen and reports it: {after}")
out["rfc822_header_len"] = len(fetch_items(ok(m.fetch("2", "(RFC822.HEADER)"), "RFC822.HEADER"))[2]["RFC822.HEADER"])
body = fetch_items(ok(m.fetch("2", "(BODY BODYSTRUCTURE)"), "FETCH BODYSTRUCTURE"))[2]
out["bodystructure2"] = [text(x) if not isinstance(x, list) else "list" for x in body["BODYSTRUCTURE"][:8]]
out["fetch_missing"] = refused(lambda: m.fetch("9", "(FLAGS)"))

# UID FETCH with CHANGEDSINCE (CONDSTORE).
typ, dat = m.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE %d)" % out["highestmodseq"])
check(typ == "OK", dat)
changed = fetch_items(dat)
out["changedsince"] = sorted(int(v["UID"][1]) for v in changed.values())
check(all("MODSEQ" in v for v in changed.values()), f"MODSEQ with CHANGEDSINCE: {changed}")

# SEARCH: flags, headers, text, dates, UID ranges, sizes, NOT/OR, charset, MODSEQ.
def search(*criteria, uid=False, charset=None):
    if uid:
        typ, dat = m.uid("SEARCH", *criteria) if charset is None else m.uid("SEARCH", "CHARSET", charset, *criteria)
    else:
        typ, dat = m.search(charset, *criteria)
    check(typ == "OK", f"SEARCH {criteria}: {typ} {dat}")
    # RFC 7162 3.1.5: "* SEARCH 2 5 (MODSEQ 917)" when MODSEQ was a criterion.
    numbers = dat[0].split(b"(")[0] if dat[0] else b""
    return [int(x) for x in numbers.split()]

out["search"] = {
    "all": search("ALL"),
    "seen": search("SEEN"),
    "unseen": search("UNSEEN"),
    "from": search("FROM", '"mario.rossi"'),
    "from_decoded_name": search("FROM", '"Lucia Bianchi"'),
    "subject": search("SUBJECT", '"fattura"'),
    "subject_encoded": search("SUBJECT", '"ricevuta"'),
    "text": search("TEXT", '"allegato"'),
    "body": search("BODY", '"consegna avvenuta"'),
    "header": search("HEADER", "X-Priority", '"1"'),
    "since": search("SINCE", "5-Mar-2024"),
    "before": search("BEFORE", "5-Mar-2024"),
    "on": search("ON", "6-Mar-2024"),
    "sentsince": search("SENTSINCE", "6-Mar-2024"),
    "uid_range": search("UID", "%d:*" % uids[1], uid=True),
    "larger": search("LARGER", "1000"),
    "not": search("NOT", "SEEN"),
    "or": search("OR", "SUBJECT", '"domanda"', "FROM", '"mario"'),
    "modseq": search("MODSEQ", str(out["highestmodseq"] + 1)),
    "charset": search("SUBJECT", '"Fattura"', charset="UTF-8"),
}
typ, dat = m.search("KOI8-R", "ALL")
check(typ == "NO" and b"BADCHARSET" in dat[0], f"unknown charset: {typ} {dat}")

# STORE: add, remove, replace, silent, keywords; UNCHANGEDSINCE.
store = fetch_items(ok(m.store("1", "+FLAGS", "(\\Flagged $Fattura)"), "STORE +FLAGS"))
out["store_add"] = sorted(text(f) for f in store[1]["FLAGS"])
store = fetch_items(ok(m.store("1", "-FLAGS", "(\\Flagged)"), "STORE -FLAGS"))
out["store_remove"] = sorted(text(f) for f in store[1]["FLAGS"])
silent = ok(m.store("2", "FLAGS.SILENT", "(\\Answered)"), "STORE FLAGS.SILENT")
check(silent == [None], f"silent STORE sent FETCH {silent}")
typ, dat = m._simple_command("STORE", "1", "(UNCHANGEDSINCE 1)", "+FLAGS", "(\\Answered)")
check(typ == "OK", f"STORE UNCHANGEDSINCE: {typ} {dat}")
out["modified"] = code(dat, "MODIFIED")
m.untagged_responses.pop("FETCH", None)
out["search_keyword"] = search("KEYWORD", "$Fattura")

# COPY with COPYUID, UID MOVE.
data = ok(m.copy("1", "Trash"), "COPY")
out["copyuid"] = code(data, "COPYUID")
typ, dat = m.uid("MOVE", str(uids[1]), "Junk")
check(typ == "OK", f"MOVE: {typ} {dat}")
out["move_copyuid"] = text(m.response("COPYUID")[1][-1])  # the COPY before left its own
out["move_expunge"] = [int(x) for x in m.response("EXPUNGE")[1] if x]
out["after_move"] = search("ALL", uid=True)

# EXPUNGE and UID EXPUNGE.
ok(m.store("1:*", "+FLAGS.SILENT", "(\\Deleted)"), "STORE \\Deleted")
typ, dat = m.uid("EXPUNGE", str(uids[2]))
check(typ == "OK", f"UID EXPUNGE: {typ} {dat}")
out["uid_expunge"] = [int(x) for x in m.response("EXPUNGE")[1] if x]
out["after_uid_expunge"] = search("ALL", uid=True)
ok(m.expunge(), "EXPUNGE")
out["after_expunge"] = search("ALL", uid=True)
ok(m.unselect(), "UNSELECT")

# EXAMINE is read-only.
exists = ok(m.select("Trash", readonly=True), "EXAMINE")
out["examine_exists"] = int(exists[0])
typ, dat = m.store("1", "+FLAGS", "(\\Seen)")
check(typ == "NO", f"STORE in EXAMINE: {typ} {dat}")
ok(m.close(), "CLOSE")

# QUOTA (RFC 9208).
typ, dat = m.getquotaroot("INBOX")
check(typ == "OK", dat)
out["quotaroot"] = [[text(x) for x in group] for group in dat]
out["quota"] = text(ok(m.getquota('""'), "GETQUOTA")[0])

out["logout"] = m.logout()[0]
print(json.dumps(out))
