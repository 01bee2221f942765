"""The bot's turns and what counts as a visitor's email (R7): pure functions, no database."""

import pytest

from conversations.policy import MAX_MESSAGE_LENGTH, BotTurn, MessageInvalid, bot_turn, email_in, message_clean

PROMPT, THANKS = "Your email?", "Thanks!"


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM  ", "ada.lovelace@example.com"),
        ("It is ada@example.com.", "ada@example.com"),
        ("mail me at <ada@example.com>, thanks", "ada@example.com"),
        ("(ada+chat@example.co.uk)!", "ada+chat@example.co.uk"),
        ("first bad@ then ada@example.com", "ada@example.com"),
        ("hello", None),
        ("ada@", None),
        ("ada@example", None),
        ("@example.com", None),
        ("a" * 250 + "@example.com", None),  # longer than a contact's email column
        ("ada at example dot com", None),
    ],
)
def test_r7_email_in_finds_the_first_valid_address(text, email):
    assert email_in(text) == email


def test_r7_bot_asks_for_an_email_until_it_gets_a_valid_one():
    assert bot_turn(text="Hi, a question", awaiting_email=True, email_prompt=PROMPT, thanks_message=THANKS) == BotTurn(
        None, PROMPT
    )
    assert bot_turn(text="ada@", awaiting_email=True, email_prompt=PROMPT, thanks_message=THANKS) == BotTurn(
        None, PROMPT
    )
    assert bot_turn(text="ada@example.com", awaiting_email=True, email_prompt=PROMPT, thanks_message=THANKS) == (
        BotTurn("ada@example.com", THANKS)
    )


def test_r7_bot_is_silent_once_the_email_is_known():
    turn = bot_turn(text="other@example.com", awaiting_email=False, email_prompt=PROMPT, thanks_message=THANKS)
    assert turn == BotTurn(None, None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello  ", "hello"),
        ("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3"),
        ("tab\there", "tab\there"),
        ("nul\x00 and bell\x07 gone", "nul and bell gone"),
        ("x" * MAX_MESSAGE_LENGTH, "x" * MAX_MESSAGE_LENGTH),
    ],
)
def test_message_clean_keeps_text_and_drops_control_characters(raw, clean):
    assert message_clean(raw) == clean


@pytest.mark.parametrize("raw", ["", "   \n ", "\x00\x01", "x" * (MAX_MESSAGE_LENGTH + 1), None, 42, ["hi"], {"a": 1}])
def test_message_clean_refuses_empty_long_and_non_text(raw):
    with pytest.raises(MessageInvalid):
        message_clean(raw)
