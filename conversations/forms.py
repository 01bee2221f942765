"""Inputs of the chatflow pages: they only parse; the services decide and write."""

from django import forms

from conversations.policy import MAX_MESSAGE_LENGTH

TEXTAREA = forms.Textarea(attrs={"rows": 2})


class ChatflowForm(forms.Form):
    name = forms.CharField(max_length=100)
    welcome_message = forms.CharField(
        max_length=1000, widget=TEXTAREA, help_text="The bot's first message when a visitor opens the chat."
    )
    email_prompt = forms.CharField(
        label="Email question",
        max_length=1000,
        widget=TEXTAREA,
        help_text="Asked after each visitor message until the visitor gives a valid email.",
    )
    thanks_message = forms.CharField(
        label="Thank-you reply", max_length=1000, widget=TEXTAREA, help_text="Sent once, when the email is given."
    )
    is_enabled = forms.BooleanField(
        label="On", required=False, help_text="Switched off, the widget says the chat is not available."
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Reply", max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )
