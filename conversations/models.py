"""Chatflows (live chat / bot), their conversations with visitors and the messages exchanged (R7)."""

from django.conf import settings
from django.db import models


class Chatflow(models.Model):
    """A chat widget's bot: greets visitors, asks for an email until it gets a valid one, then thanks them.

    The visitor's contact is created or matched through `capture.services.contact_capture` with tool
    CHATFLOW and source id `str(pk)` (also the reason id). Its "Set created contacts as marketing
    contacts" setting is off by default (R7) and lives with the other tools' settings
    (`CreationToolSetting`, tool CHATFLOW, source id `str(pk)`), with its history. `public_id` is what
    the widget snippet names; a switched-off chatflow answers the public endpoints like a missing one.
    """

    name = models.CharField(max_length=100)
    public_id = models.UUIDField(unique=True)
    welcome_message = models.TextField(max_length=1000)
    email_prompt = models.TextField(max_length=1000)
    thanks_message = models.TextField(max_length=1000)
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_id(self) -> str:
        """The creation source id and reason id of the contacts this chatflow creates (R7)."""
        return str(self.pk)


class Conversation(models.Model):
    """One visitor's chat with a chatflow.

    The visitor holds a random token (shown once, in the answer that starts the conversation); only its
    SHA-256 is stored. `email` is set once, when the visitor gives a valid email, together with the
    `contact` it named; `last_seq` numbers the messages within the conversation (1, 2, …), so the
    widget polls for those after the last one it has, and nothing in the answers counts other chats.
    """

    chatflow = models.ForeignKey(Chatflow, on_delete=models.CASCADE, related_name="conversations")
    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    email = models.EmailField(max_length=254, blank=True)
    started_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["chatflow", "-last_message_at"], name="conversation_recent_idx")]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.email or 'no email yet'})"

    @property
    def awaiting_email(self) -> bool:
        return not self.email


class Sender(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    BOT = "bot", "Bot"
    AGENT = "agent", "Agent"


class Message(models.Model):
    """A message in a conversation: from the visitor, the chatflow's bot, or an agent (`author`)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique")]

    def __str__(self) -> str:
        return f"{self.sender} #{self.seq}"
