"""Settings from the environment; nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Config:
    def __init__(self, **overrides):
        instance = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
        self.INSTANCE_DIR = str(instance)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'xiaosan.db'}"
        self.PRODUCTION = os.environ.get("XIAOSAN_ENV") == "production"
        secret = os.environ.get("SECRET_KEY")
        if not secret and self.PRODUCTION:
            raise RuntimeError("SECRET_KEY must be set in production (XIAOSAN_ENV=production)")
        self.SECRET_KEY = secret or _dev_secret(instance)
        self.PROCESSES_DIR = str(ROOT / "processes")
        self.FORMS_DIR = str(ROOT / "forms")
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(instance / "uploads"))
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "16")) * 1024 * 1024
        self.API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "12"))
        self.TIMER_POLL_SECONDS = float(os.environ.get("TIMER_POLL_SECONDS", "1"))
        # Jobs one worker claims at a time (small: idle workers on other hosts share a burst) and
        # how long a claim holds before another worker may take the job over (a dead worker's).
        self.TIMER_BATCH = int(os.environ.get("TIMER_BATCH", "10"))
        self.TIMER_LOCK_SECONDS = int(os.environ.get("TIMER_LOCK_SECONDS", "60"))
        # Sandbox processes per server process for scripts, and the memory each may use.
        self.SANDBOX_PROCESSES = int(os.environ.get("SANDBOX_PROCESSES", "2"))
        self.SANDBOX_MEMORY_MB = int(os.environ.get("SANDBOX_MEMORY_MB", "256"))
        # Proxies in front of the app (a TLS terminator: 1). Their X-Forwarded-For/-Proto are
        # believed for that many hops, so every limit keys on the real client address; 0 believes none.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
        # Outbound notifications (services.notifications.channels): a channel is offered when set.
        for name in (
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_FROM",
            "SMTP_USER",
            "SMTP_PASSWORD",
            "SMTP_STARTTLS",
            "SMS_GATEWAY_URL",
            "SMS_GATEWAY_TOKEN",
            "WECOM_WEBHOOK_URL",
            "DINGTALK_WEBHOOK_URL",
        ):
            setattr(self, name, os.environ.get(name))
        # Channels of a user who chose none; the console (the worker's log) by default.
        self.NOTIFY_DEFAULT_CHANNELS = os.environ.get("NOTIFY_DEFAULT_CHANNELS", "console")
        self.OUTBOX_LOCK_SECONDS = int(os.environ.get("OUTBOX_LOCK_SECONDS", "60"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PRODUCTION
        self.WTF_CSRF_TIME_LIMIT = None
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)


def _dev_secret(instance: Path) -> str:
    """A per-checkout secret kept under instance/, so dev sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
