"""Names, not ids: the registry that screens ask for the name and page of a status source (crm.sources),
and the readable label of every enum a screen shows."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import TierUpgrade
from contacts.models import Contact
from crm.sources import SourceName, sources_register, sources_resolve
from imports.models import Import
from jobs.models import Job
from marketing_status.actors import ActorKind
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool, ReasonType
from tests.crm.source_objects import source_objects_make
from tests.factories import UserFactory
from workflows.models import ActionKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(db):
    return source_objects_make(user=UserFactory())


def test_every_kind_of_source_is_named_and_linked_to_its_page(objects):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    form_guid, external_guid = str(objects.form.guid), str(objects.external_form.guid)
    names = sources_resolve(
        [
            (ReasonType.FORM_SUBMISSION, form_guid),
            (ActorKind.FORM, external_guid),
            (ReasonType.WORKFLOW, str(objects.workflow.pk)),
            (ReasonType.CONVERSATION, str(objects.chatflow.pk)),
            (ReasonType.CONTACT_IMPORT, str(objects.import_job.pk)),
            (ReasonType.INTEGRATOR_SET, str(objects.integration.pk)),
            (ReasonType.USER_SET, str(user.pk)),
        ]
    )
    assert names == {
        (ReasonType.FORM_SUBMISSION, form_guid): SourceName(
            "Newsletter signup", reverse("leadforms:edit", args=[objects.form.guid])
        ),
        (ActorKind.FORM, external_guid): SourceName(
            "#contact on https://example.com/contact",
            reverse("leadforms:external_submissions", args=[objects.external_form.guid]),
        ),
        (ReasonType.WORKFLOW, str(objects.workflow.pk)): SourceName(
            "Welcome series", reverse("workflows:edit", args=[objects.workflow.pk])
        ),
        (ReasonType.CONVERSATION, str(objects.chatflow.pk)): SourceName(
            "Pricing chat", reverse("conversations:edit", args=[objects.chatflow.pk])
        ),
        (ReasonType.CONTACT_IMPORT, str(objects.import_job.pk)): SourceName(
            "leads.csv", reverse("imports:detail", args=[objects.import_job.pk])
        ),
        (ReasonType.INTEGRATOR_SET, str(objects.integration.pk)): SourceName(
            "Shop sync", reverse("integrations:detail", args=[objects.integration.pk])
        ),
        (ReasonType.USER_SET, str(user.pk)): SourceName("Ada Lovelace", reverse("accounts:users")),
    }


def test_actor_kinds_and_creation_tools_name_the_same_objects(objects):
    workflow_id, import_id = str(objects.workflow.pk), str(objects.import_job.pk)
    names = sources_resolve(
        [
            (ActorKind.WORKFLOW, workflow_id),
            (ActorKind.IMPORT, import_id),
            (CreationTool.MULTI_IMPORT, import_id),
            (CreationTool.HUBSPOT_FORM, str(objects.form.guid)),
            (CreationTool.CHATFLOW, str(objects.chatflow.pk)),
            (CreationTool.INTEGRATION, str(objects.integration.pk)),
        ]
    )
    assert [name.name for name in names.values()].count("leads.csv") == 2
    assert names[(ActorKind.WORKFLOW, workflow_id)].name == "Welcome series"
    assert names[(CreationTool.HUBSPOT_FORM, str(objects.form.guid))].name == "Newsletter signup"
    assert names[(CreationTool.CHATFLOW, str(objects.chatflow.pk))].name == "Pricing chat"
    assert names[(CreationTool.INTEGRATION, str(objects.integration.pk))].name == "Shop sync"


def test_a_deleted_object_reads_deleted_and_links_nowhere(objects):
    guid, workflow_id = str(objects.form.guid), str(objects.workflow.pk)
    objects.form.delete()
    objects.workflow.delete()
    names = sources_resolve(
        [(ReasonType.FORM_SUBMISSION, guid), (ReasonType.WORKFLOW, workflow_id), (ActorKind.USER, "999999")]
    )
    assert names == {
        (ReasonType.FORM_SUBMISSION, guid): SourceName("Deleted form", deleted=True),
        (ReasonType.WORKFLOW, workflow_id): SourceName("Deleted workflow", deleted=True),
        (ActorKind.USER, "999999"): SourceName("Deleted user", deleted=True),
    }
    rendered = Template("{{ name }}").render(Context({"name": names[(ReasonType.WORKFLOW, workflow_id)]}))
    assert rendered == '<span class="muted">Deleted workflow</span>'


def test_unregistered_types_show_their_id_and_empty_ids_are_left_out():
    names = sources_resolve([(ReasonType.EMAIL, "12"), (ReasonType.INITIAL_STATE, ""), (ActorKind.FORM, "")])
    assert names == {(ReasonType.EMAIL, "12"): SourceName("12")}


def test_a_name_renders_as_an_escaped_link():
    rendered = Template("{{ name }}").render(Context({"name": SourceName("<b>Sale</b>", "/forms/x/")}))
    assert rendered == '<a href="/forms/x/">&lt;b&gt;Sale&lt;/b&gt;</a>'


def test_one_query_per_kind_however_many_ids(objects):
    def pairs(count):
        return [(ReasonType.FORM_SUBMISSION, str(objects.form.guid)), (ReasonType.USER_SET, "1")] + [
            (kind, str(1000 + i)) for i in range(count) for kind in (ReasonType.WORKFLOW, ActorKind.IMPORT)
        ]

    with CaptureQueriesContext(connection) as few:
        sources_resolve(pairs(1))
    with CaptureQueriesContext(connection) as many:
        sources_resolve(pairs(40))
    # forms (HubSpot and external: 2), users, workflows, imports
    assert len(few.captured_queries) == len(many.captured_queries) == 5


def test_a_type_cannot_name_two_kinds_of_object():
    with pytest.raises(ValueError, match="already names a form"):
        sources_register(noun="gadget", types=[ReasonType.FORM_SUBMISSION], resolver=lambda ids: {})
    assert sources_resolve([(ReasonType.FORM_SUBMISSION, "x")])[(ReasonType.FORM_SUBMISSION, "x")].name == (
        "Deleted form"
    )


# --- Labels -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("enum", [ReasonType, CreationTool, ActorKind])
def test_every_status_enum_has_a_readable_label(enum):
    labels = {member: member.label for member in enum}
    assert all(label and label[0].isupper() and "_" not in label for label in labels.values())
    assert len(set(labels.values())) == len(labels)  # no two values read alike
    assert enum.choices() == [(member.value, member.label) for member in enum]


def test_labels_read_like_words():
    assert ReasonType.FORM_SUBMISSION.label == "Form submission"
    assert ReasonType.CONTACT_IMPORT.label == "Contact import"
    assert CreationTool.HUBSPOT_FORM.label == "Form"
    assert ActorKind.INTEGRATION.label == "Integration"


def test_model_choices_use_the_labels_so_get_display_works():
    contact = Contact(creation_tool=CreationTool.NON_HUBSPOT_FORM, marketable_reason_type=ReasonType.INTEGRATOR_SET)
    assert contact.get_creation_tool_display() == "Non-HubSpot form"
    assert contact.get_marketable_reason_type_display() == "Set by an integration"
    change = MarketingStatusChange(reason_type=ReasonType.USER_SET, actor_type=ActorKind.CHATFLOW)
    assert (change.get_reason_type_display(), change.get_actor_type_display()) == ("Set by a user", "Chatflow")


def test_tier_upgrade_causes_have_labels():
    assert [TierUpgrade(cause_type=cause).cause_label for cause in TierUpgrade.CAUSE_LABELS] == [
        "Tier change",
        "Contract renewal",
    ]
    assert TierUpgrade(cause_type=ReasonType.CONTACT_IMPORT).cause_label == "Contact import"
    assert TierUpgrade(cause_type="SOMETHING_NEW").cause_label == "SOMETHING_NEW"


@pytest.mark.parametrize("choices", [Job.Kind, Job.State, Import.Kind, Import.State, ActionKind])
def test_job_import_and_workflow_enums_have_labels(choices):
    assert all(label != value and "_" not in label for value, label in choices.choices)
