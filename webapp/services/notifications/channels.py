"""Outbound channels behind one interface: `send(message)` delivers or raises.

Each channel is configured from the environment (webapp.config) and is offered only when
configured; the console channel (the worker's log) always is, and is the default for `make run`.
Every message carries its outbox key (`Idempotency-Key` header, e-mail Message-ID): a message
resent after a worker died mid-send reaches the gateway with the same key, so it can drop the copy.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Outgoing:
    key: str  # stable per outbox message
    recipient: str  # username, e-mail address or phone number, by channel
    subject: str
    body: str


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the outbox retries later."""


class Console:
    name = "console"

    def send(self, message: Outgoing) -> None:
        log.warning("notification %s to %s: %s — %s", message.key, message.recipient, message.subject, message.body)


class Smtp:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.recipient, message.subject
        mail["Message-ID"] = make_msgid(idstring=message.key, domain="xiaosan.local")
        mail["X-Idempotency-Key"] = message.key
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc


class _Webhook(ABC):
    """A JSON POST; a 2xx answer whose body (if JSON) has no non-zero `errcode` is a delivery."""

    name = "webhook"

    def __init__(self, url: str, token: str | None = None):
        self.url, self.token = url, token

    @abstractmethod
    def payload(self, message: Outgoing) -> dict:
        """The body each receiving service expects."""

    def send(self, message: Outgoing) -> None:
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, json.dumps(self.payload(message), ensure_ascii=False).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                answer = response.read()
        except OSError as exc:  # URLError, HTTPError, timeouts
            raise DeliveryFailed(f"{self.name}: {exc}") from exc
        try:
            code = json.loads(answer or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            code = 0
        if code:
            raise DeliveryFailed(f"{self.name}: errcode {code}")


class SmsGateway(_Webhook):
    """An SMS gateway's HTTP API: `{to, text, id}` with a bearer token."""

    name = "sms"

    def payload(self, message: Outgoing) -> dict:
        return {"to": message.recipient, "text": f"{message.subject}：{message.body}", "id": message.key}


class WeCom(_Webhook):
    """A WeCom (企业微信) group robot; the recipient is @-mentioned by phone."""

    name = "wecom"

    def payload(self, message: Outgoing) -> dict:
        return {
            "msgtype": "text",
            "text": {"content": f"{message.subject}\n{message.body}", "mentioned_mobile_list": [message.recipient]},
        }


class DingTalk(_Webhook):
    """A DingTalk (钉钉) group robot; the recipient is @-mentioned by phone."""

    name = "dingtalk"

    def payload(self, message: Outgoing) -> dict:
        return {
            "msgtype": "text",
            "text": {"content": f"{message.subject}\n{message.body}"},
            "at": {"atMobiles": [message.recipient]},
        }


def configured(config) -> dict:
    """The channels this deployment offers, by name."""
    channels = {"console": Console()}
    if config.get("SMTP_HOST"):
        channels["email"] = Smtp(
            config["SMTP_HOST"],
            int(config.get("SMTP_PORT") or 25),
            config.get("SMTP_FROM") or "noreply@xiaosan.local",
            config.get("SMTP_USER"),
            config.get("SMTP_PASSWORD"),
            bool(config.get("SMTP_STARTTLS")),
        )
    if config.get("SMS_GATEWAY_URL"):
        channels["sms"] = SmsGateway(config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_TOKEN"))
    if config.get("WECOM_WEBHOOK_URL"):
        channels["wecom"] = WeCom(config["WECOM_WEBHOOK_URL"])
    if config.get("DINGTALK_WEBHOOK_URL"):
        channels["dingtalk"] = DingTalk(config["DINGTALK_WEBHOOK_URL"])
    return channels
