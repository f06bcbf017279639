#!/usr/bin/python3
"""Stand-in for Mailpit (axllent/mailpit): keeps every message received on SMTP port 1025 in memory and
serves them on HTTP port 8025 with the JSON shape of Mailpit's API v1 (server/apiv1 and internal/storage
in Mailpit's source: MessagesSummary, MessageSummary, Message; addresses as {"Name", "Address"}).

    /mailpit            run both servers
    /mailpit readyz     exit 0 when the HTTP server answers (the image's healthcheck)
"""
import email
import email.policy
import email.utils
import json
import secrets
import sys
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # shortuuid's, as Mailpit's IDs
LOCK = threading.Lock()
MESSAGES = []  # newest first: dicts with "summary", "message", "raw"


def addresses(values):
    return [{"Name": name, "Address": address} for name, address in email.utils.getaddresses(values) if address]


def received(envelope_from, envelope_to, data):
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part else ""
    html = html_part.get_content() if html_part else ""
    attachments = [part for part in parsed.iter_attachments()] if parsed.is_multipart() else []
    sender = addresses(parsed.get_all("From", [])) or [{"Name": "", "Address": envelope_from}]
    to, cc = addresses(parsed.get_all("To", [])), addresses(parsed.get_all("Cc", []))
    shown = {a["Address"].lower() for a in to + cc}
    bcc = [{"Name": "", "Address": a} for a in envelope_to if a.lower() not in shown]
    now = datetime.now(timezone.utc)
    created = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"
    date = parsed.get("Date")
    try:
        date = email.utils.parsedate_to_datetime(date).isoformat() if date else created
    except (TypeError, ValueError):
        date = created
    common = {
        "ID": "".join(secrets.choice(ID_ALPHABET) for _ in range(22)),
        "MessageID": (parsed.get("Message-ID") or "").strip().strip("<>"),
        "From": sender[0], "To": to, "Cc": cc, "Bcc": bcc,
        "ReplyTo": addresses(parsed.get_all("Reply-To", [])),
        "Subject": str(parsed.get("Subject") or ""), "Tags": [], "Username": "", "Size": len(data),
    }
    summary = {**common, "Read": False, "Created": created, "Attachments": len(attachments),
               "Snippet": " ".join(text.split())[:250]}
    message = {**common, "ReturnPath": envelope_from, "Date": date, "Text": text, "HTML": html,
               "ListUnsubscribe": {"Header": "", "Links": [], "Errors": "", "HeaderPost": ""},
               "Inline": [], "Attachments": [
                   {"PartID": str(i + 2), "FileName": part.get_filename() or "", "ContentType": part.get_content_type(),
                    "ContentID": "", "Size": len(part.get_payload(decode=True) or b"")}
                   for i, part in enumerate(attachments)]}
    with LOCK:
        MESSAGES.insert(0, {"summary": summary, "message": message, "raw": data})


class SMTPHandler:
    async def handle_DATA(self, server, session, envelope):
        received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        return "250 2.0.0 Ok: queued"


class API(BaseHTTPRequestHandler):
    server_version = "Mailpit-stand-in"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = json.dumps(body).encode() + b"\n" if content_type == "application/json" else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def find(self, message_id):
        with LOCK:
            return next((m for m in MESSAGES if m["summary"]["ID"] == message_id), None)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if url.path in ("/livez", "/readyz"):
            return self.reply(200, b"ok", "text/plain")
        if parts == ["api", "v1", "messages"]:
            query = urllib.parse.parse_qs(url.query)
            start = max(int((query.get("start") or ["0"])[0] or 0), 0)
            limit = int((query.get("limit") or ["50"])[0] or 50)
            with LOCK:
                total = len(MESSAGES)
                unread = sum(1 for m in MESSAGES if not m["summary"]["Read"])
                page = [m["summary"] for m in MESSAGES[start:start + limit]]
            return self.reply(200, {"total": total, "unread": unread, "count": len(page), "messages_count": total,
                                    "messages_unread": unread, "start": start, "tags": [], "messages": page})
        if len(parts) in (4, 5) and parts[:3] == ["api", "v1", "message"]:
            found = self.find(parts[3])
            if found is None:
                return self.reply(404, b"message not found", "text/plain")
            if len(parts) == 5 and parts[4] == "raw":
                return self.reply(200, found["raw"], "text/plain")
            if len(parts) == 4:
                with LOCK:
                    found["summary"]["Read"] = True
                return self.reply(200, found["message"])
        if url.path == "/":
            return self.reply(200, b"<!doctype html><title>Mailpit (stand-in)</title><p>See /api/v1/messages</p>",
                              "text/html")
        return self.reply(404, b"404 page not found", "text/plain")

    def do_DELETE(self):
        if self.path.split("?")[0] != "/api/v1/messages":
            return self.reply(404, b"404 page not found", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        ids = (json.loads(self.rfile.read(length) or b"{}") or {}).get("IDs") or [] if length else []
        with LOCK:
            MESSAGES[:] = [m for m in MESSAGES if ids and m["summary"]["ID"] not in ids]
        return self.reply(200, b"ok", "text/plain")


def main():
    if sys.argv[1:] == ["readyz"]:
        try:
            with urllib.request.urlopen("http://127.0.0.1:8025/readyz", timeout=3) as response:
                sys.exit(0 if response.status == 200 else 1)
        except OSError:
            sys.exit(1)
    smtp = Controller(SMTPHandler(), hostname="0.0.0.0", port=1025, decode_data=False)
    smtp.start()
    print("[smtpd] accepting SMTP connections on [::]:1025", flush=True)
    print("[http] accessible via http://localhost:8025/", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8025), API).serve_forever()


if __name__ == "__main__":
    main()
