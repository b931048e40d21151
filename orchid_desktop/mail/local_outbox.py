"""Local mode: with no SendGrid key, each email becomes a ``.eml`` file in the local
outbox folder, which staff can open in any mail client.

A file is named ``<outbox id>-<slug of the subject>.eml``, written to a temporary file
and moved into place only when complete, and never written twice: a second attempt for
the same outbox id (a retry after a crash) finds the first file and returns it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import unicodedata
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

from orchid_desktop.domain.html_text import html_to_text
from orchid_desktop.domain.templating import UNSUBSCRIBE_LINK_TAG
from orchid_desktop.domain.vocab import EmailKind

from .payloads import PreparedMessage, Sender

log = logging.getLogger(__name__)

SLUG_MAX_CHARS = 50
_TEMP_PREFIX = ".orchid-"
_TEMP_SUFFIX = ".part"  # never matches "*.eml"


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: safe in a file name on every system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:SLUG_MAX_CHARS].rstrip("-") or "email"


def existing_eml(folder: Path, outbox_id: int) -> Path | None:
    """The file already written for this outbox id, if any."""
    found = sorted(Path(folder).glob(f"{int(outbox_id)}-*.eml"))
    return found[0] if found else None


def local_unsubscribe_url(sender: Sender) -> str:
    """Local mode has no SendGrid link: the unsubscribe link is a mail to the agency."""
    return f"mailto:{sender.unsubscribe_mailbox}?subject=unsubscribe"


def to_email_message(message: PreparedMessage, sender: Sender, *,
                     when: datetime | None = None) -> EmailMessage:
    """The message as a standard MIME email: text and HTML as alternatives."""
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = Address(sender.from_name, addr_spec=sender.from_email)
    email["To"] = Address(message.to_name or "", addr_spec=message.to_email)
    if sender.reply_to:
        email["Reply-To"] = sender.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime((when or datetime.now()).astimezone())
    # short enough to stay on one header line
    domain = sender.from_email.rpartition("@")[2]
    email["Message-ID"] = f"<orchid.{message.outbox_id}.{secrets.token_hex(6)}@{domain}>"
    email["X-Orchid-Outbox-Id"] = str(message.outbox_id)
    html, text = message.html, message.text
    if message.kind is EmailKind.MARKETING:
        url = local_unsubscribe_url(sender)
        email["List-Unsubscribe"] = f"<{url}>"
        html = html.replace(UNSUBSCRIBE_LINK_TAG, escape(url))
        text = text.replace(UNSUBSCRIBE_LINK_TAG, url)
    if not text.strip():
        text = html_to_text(html)
    email.set_content(text)
    if html.strip():
        email.add_alternative(html, subtype="html")
    return email


def write_eml(folder: Path | str, message: PreparedMessage, sender: Sender, *,
              when: datetime | None = None) -> Path:
    """Write the message to ``folder`` (created if need be) and return its path; if the
    outbox id already has a file there, return that file untouched."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (found := existing_eml(folder, message.outbox_id)) is not None:
        return found
    target = folder / f"{message.outbox_id}-{slug(message.subject)}.eml"
    data = to_email_message(message, sender, when=when).as_bytes()
    handle, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if not _move_without_overwrite(temp, target):
            log.info("outbox %s already has %s", message.outbox_id, target.name)
            return existing_eml(folder, message.outbox_id) or target
    finally:
        temp.unlink(missing_ok=True)
    _sync_folder(folder)
    return target


def _move_without_overwrite(temp: Path, target: Path) -> bool:
    """Put the finished file in place unless one is there already (another process got
    there first); False in that case. A hard link is atomic and never overwrites; where
    the file system has none, a rename (which on Windows also refuses to overwrite)."""
    try:
        os.link(temp, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here (FAT, some network shares)
        if target.exists():
            return False
        try:
            os.rename(temp, target) if os.name == "nt" else os.replace(temp, target)
        except FileExistsError:
            return False
        return True


def _sync_folder(folder: Path) -> None:
    """Make the new name durable too (POSIX; Windows cannot open a folder for this)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
