"""The Django admin lists chatflows, conversations and messages read-only; the token hash is never shown."""

import pytest
from django.urls import reverse

from conversations.models import Chatflow, Conversation, Message
from conversations.services import conversation_start
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Chatflow, Conversation, Message], ids=lambda model: model.__name__)
def test_admin_changelists_are_read_only(client, chatflow, model):
    started = conversation_start(chatflow=chatflow)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    detail = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[model.objects.first().pk]))
    assert detail.status_code == 200
    for page in (changelist, detail):
        assert started.conversation.token_hash not in page.content.decode()
        assert started.token not in page.content.decode()
