"""One named object of every kind that a status history or a tally names by id, for the tests of names."""

import uuid
from dataclasses import dataclass

from django.utils import timezone

from conversations.models import Chatflow
from imports.models import Import, ImportFile
from integrations.models import Integration
from leadforms.models import ExternalForm, Form
from workflows.models import Workflow


@dataclass
class SourceObjects:
    form: Form
    external_form: ExternalForm
    workflow: Workflow
    chatflow: Chatflow
    import_job: Import
    integration: Integration


def source_objects_make(*, user) -> SourceObjects:
    now = timezone.now()
    import_job = Import.objects.create(kind=Import.Kind.SINGLE, created_by=user)
    ImportFile.objects.create(
        import_job=import_job,
        position=0,
        object_type="contacts",
        original_name="leads.csv",
        stored_name="x.csv",
        format="csv",
        size=10,
    )
    return SourceObjects(
        form=Form.objects.create(name="Newsletter signup", created_at=now, updated_at=now),
        external_form=ExternalForm.objects.create(
            key_hash=uuid.uuid4().hex,
            page_url="https://example.com/contact",
            form_id_attr="contact",
            first_captured_at=now,
            last_captured_at=now,
        ),
        workflow=Workflow.objects.create(name="Welcome series", created_at=now, updated_at=now),
        chatflow=Chatflow.objects.create(
            name="Pricing chat",
            public_id=uuid.uuid4(),
            welcome_message="Hi",
            email_prompt="Email?",
            thanks_message="Thanks",
            created_at=now,
            updated_at=now,
        ),
        import_job=import_job,
        integration=Integration.objects.create(
            name="Shop sync", token_prefix="abc", token_hash=uuid.uuid4().hex, created_at=now
        ),
    )
