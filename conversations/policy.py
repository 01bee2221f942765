"""What the chatflow's bot answers, and what counts as a visitor's email: pure functions, no database (R7).

The bot asks for an email until a visitor's message contains a valid one; then it thanks the visitor
once and leaves the rest of the conversation to agents. Its answers depend only on the chatflow's texts
and on whether this conversation already has an email, never on whether a contact with that email
exists, so the widget reveals nothing about the CRM's contacts. Also what is stored of a visitor's token.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_MESSAGE_LENGTH = 2000
MAX_EMAIL_LENGTH = 254  # the contact's email column
# Candidates: runs of characters around an "@", cut at spaces and the punctuation that ends a sentence.
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_TRAILING = ".!?"
_KEPT_CONTROLS = {"\n", "\t"}


class MessageInvalid(ValueError):
    """A message that cannot be stored: empty, too long or not text."""


def message_clean(text: object) -> str:
    """The message as stored: text, control characters removed (PostgreSQL refuses NUL), line ends as
    `\\n`, stripped, 1 to `MAX_MESSAGE_LENGTH` characters; otherwise `MessageInvalid`."""
    if not isinstance(text, str):
        raise MessageInvalid("The message must be text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text if char in _KEPT_CONTROLS or unicodedata.category(char) != "Cc").strip()
    if not text:
        raise MessageInvalid("The message is empty.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise MessageInvalid(f"The message is longer than {MAX_MESSAGE_LENGTH:,} characters.")
    return text


def email_in(text: str) -> str | None:
    """The first valid email address written in `text`, lower-cased, or None."""
    for match in _EMAIL_CANDIDATE.finditer(text):
        candidate = match.group(0).rstrip(_TRAILING).lower()
        if len(candidate) > MAX_EMAIL_LENGTH:
            continue
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return None


@dataclass(frozen=True)
class BotTurn:
    """What a visitor's message makes the bot do: the email it captures (if any) and its reply (if any)."""

    email: str | None
    reply: str | None


def bot_turn(*, text: str, awaiting_email: bool, email_prompt: str, thanks_message: str) -> BotTurn:
    """R7's chat: while no email is known, a message with a valid one is captured and thanked for, any
    other message is answered with the prompt again; once an email is known the bot stays silent."""
    if not awaiting_email:
        return BotTurn(email=None, reply=None)
    email = email_in(text)
    if email is None:
        return BotTurn(email=None, reply=email_prompt)
    return BotTurn(email=email, reply=thanks_message)


def token_hash(token: str) -> str:
    """What is stored of a visitor's conversation token: its SHA-256 (the token is shown once, never kept)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
