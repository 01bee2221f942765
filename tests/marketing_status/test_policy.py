"""The pure marketing-status policy (R1–R13), exhaustively, without a database."""

import itertools

import pytest

from marketing_status.policy import (
    MARKETING,
    NON_MARKETING,
    PENDING,
    UNSET,
    CreationTool,
    Effect,
    ReasonType,
    Status,
    TierGuard,
    decide_new_contact,
    decide_switch,
    decide_tier_guard,
    sources_of_switch,
    tier_guard_asks,
    upgrades_existing_contact,
)

# The reason type each creation tool records (hs_marketable_reason_type), written out for every tool.
REASON_BY_TOOL = {
    CreationTool.MANUAL: ReasonType.USER_SET,
    CreationTool.IMPORT: ReasonType.CONTACT_IMPORT,
    CreationTool.MULTI_IMPORT: ReasonType.CONTACT_IMPORT,
    CreationTool.HUBSPOT_FORM: ReasonType.FORM_SUBMISSION,
    CreationTool.NON_HUBSPOT_FORM: ReasonType.FORM_SUBMISSION,
    CreationTool.CHATFLOW: ReasonType.CONVERSATION,
    CreationTool.INTEGRATION: ReasonType.INTEGRATOR_SET,
    CreationTool.MOBILE_APP: ReasonType.INITIAL_STATE,
    CreationTool.ONE_TO_ONE_EMAIL: ReasonType.EMAIL,
    CreationTool.TEAM_INBOX: ReasonType.EMAIL,
    CreationTool.DOCUMENT: ReasonType.INITIAL_STATE,
    CreationTool.MEETINGS: ReasonType.INITIAL_STATE,
    CreationTool.EMAIL_EXTENSION: ReasonType.EMAIL,
    CreationTool.TICKET: ReasonType.INITIAL_STATE,
    CreationTool.DEAL: ReasonType.INITIAL_STATE,
    CreationTool.SAMPLE: ReasonType.SAMPLE_CONTACT,
}
CHOOSING = {CreationTool.MANUAL, CreationTool.IMPORT}  # R3, R4
DEFAULT_ON = {CreationTool.HUBSPOT_FORM, CreationTool.NON_HUBSPOT_FORM}  # R5, R6
DEFAULT_OFF = {CreationTool.CHATFLOW, CreationTool.INTEGRATION}  # R7, R8
NON_CUSTOMIZABLE = set(CreationTool) - CHOOSING - DEFAULT_ON - DEFAULT_OFF  # R9, R4 multi-import


def expected_new_status(tool: CreationTool, setting: bool | None, requested: bool) -> Status:
    """The spec's table for R3–R9, independent of the policy's own tables."""
    if tool in CHOOSING:
        marketing = requested
    elif tool in DEFAULT_ON:
        marketing = True if setting is None else setting
    elif tool in DEFAULT_OFF:
        marketing = False if setting is None else setting
    else:
        marketing = False
    return MARKETING if marketing else NON_MARKETING


ALL_CASES = list(itertools.product(CreationTool, (None, False, True), (False, True)))


def test_r2_reason_table_covers_every_creation_tool():
    assert set(REASON_BY_TOOL) == set(CreationTool)
    r9_tools = {
        CreationTool.MULTI_IMPORT,
        CreationTool.MOBILE_APP,
        CreationTool.ONE_TO_ONE_EMAIL,
        CreationTool.TEAM_INBOX,
        CreationTool.DOCUMENT,
        CreationTool.MEETINGS,
        CreationTool.EMAIL_EXTENSION,
        CreationTool.TICKET,
        CreationTool.DEAL,
        CreationTool.SAMPLE,
    }
    assert r9_tools == NON_CUSTOMIZABLE


@pytest.mark.parametrize(("tool", "setting", "requested"), ALL_CASES)
def test_r2_to_r9_every_creation_tool_and_setting_gives_the_specified_status(tool, setting, requested):
    decision = decide_new_contact(tool=tool, source_id="src-1", tool_setting=setting, requested_marketing=requested)

    assert decision.status == expected_new_status(tool, setting, requested)
    assert decision.reason_type == REASON_BY_TOOL[tool]
    assert decision.reason_id == "src-1"
    # R3, R4, R30: only a person choosing marketing needs the permission.
    assert decision.needs_permission is (tool in CHOOSING and requested)


@pytest.mark.parametrize(("tool", "setting", "requested"), ALL_CASES)
def test_r1_contacts_created_before_enabling_get_no_status(tool, setting, requested):
    decision = decide_new_contact(
        tool=tool, source_id="src-1", tool_setting=setting, requested_marketing=requested, enabled=False
    )

    assert decision.status == UNSET
    assert decision.status.is_marketing is None
    assert decision.needs_permission is False


def test_r3_manual_creation_defaults_to_non_marketing():
    decision = decide_new_contact(tool=CreationTool.MANUAL, source_id="7")

    assert (decision.status, decision.reason_type, decision.needs_permission) == (
        NON_MARKETING,
        ReasonType.USER_SET,
        False,
    )


def test_r3_manual_creation_as_marketing_needs_permission():
    decision = decide_new_contact(tool=CreationTool.MANUAL, source_id="7", requested_marketing=True)

    assert (decision.status, decision.needs_permission) == (MARKETING, True)


def test_r4_import_checkbox_creates_marketing_contacts_with_import_id():
    unchecked = decide_new_contact(tool=CreationTool.IMPORT, source_id="import-12")
    checked = decide_new_contact(tool=CreationTool.IMPORT, source_id="import-12", requested_marketing=True)

    assert unchecked.status == NON_MARKETING
    assert (checked.status, checked.reason_type, checked.reason_id) == (
        MARKETING,
        ReasonType.CONTACT_IMPORT,
        "import-12",
    )


@pytest.mark.parametrize("setting", [None, False, True])
def test_r4_multi_object_or_multi_file_import_always_creates_non_marketing(setting):
    decision = decide_new_contact(
        tool=CreationTool.MULTI_IMPORT, source_id="import-13", tool_setting=setting, requested_marketing=True
    )

    assert (decision.status, decision.needs_permission) == (NON_MARKETING, False)


@pytest.mark.parametrize("tool", [CreationTool.HUBSPOT_FORM, CreationTool.NON_HUBSPOT_FORM])
def test_r5_r6_forms_create_marketing_contacts_by_default_and_not_when_switched_off(tool):
    assert decide_new_contact(tool=tool, source_id="form-1").status == MARKETING
    assert decide_new_contact(tool=tool, source_id="form-1", tool_setting=True).status == MARKETING
    assert decide_new_contact(tool=tool, source_id="form-1", tool_setting=False).status == NON_MARKETING


@pytest.mark.parametrize("tool", [CreationTool.HUBSPOT_FORM, CreationTool.NON_HUBSPOT_FORM])
def test_r5_r6_form_submission_upgrades_existing_contact_only_when_setting_on(tool):
    assert upgrades_existing_contact(tool=tool, tool_setting=None) is True
    assert upgrades_existing_contact(tool=tool, tool_setting=True) is True
    assert upgrades_existing_contact(tool=tool, tool_setting=False) is False


@pytest.mark.parametrize("tool", sorted(set(CreationTool) - {CreationTool.HUBSPOT_FORM, CreationTool.NON_HUBSPOT_FORM}))
@pytest.mark.parametrize("setting", [None, False, True])
def test_r5_r7_r8_only_forms_upgrade_existing_contacts(tool, setting):
    assert upgrades_existing_contact(tool=tool, tool_setting=setting) is False


def test_r7_chatflow_creates_non_marketing_by_default_and_marketing_when_switched_on():
    assert decide_new_contact(tool=CreationTool.CHATFLOW, source_id="chat-1").status == NON_MARKETING
    on = decide_new_contact(tool=CreationTool.CHATFLOW, source_id="chat-1", tool_setting=True)
    assert (on.status, on.reason_type, on.reason_id) == (MARKETING, ReasonType.CONVERSATION, "chat-1")


def test_r8_integration_creates_non_marketing_by_default_and_marketing_when_switched_on():
    assert decide_new_contact(tool=CreationTool.INTEGRATION, source_id="app-1").status == NON_MARKETING
    on = decide_new_contact(tool=CreationTool.INTEGRATION, source_id="app-1", tool_setting=True)
    assert (on.status, on.reason_type, on.reason_id) == (MARKETING, ReasonType.INTEGRATOR_SET, "app-1")


@pytest.mark.parametrize("tool", sorted(NON_CUSTOMIZABLE))
@pytest.mark.parametrize(("setting", "requested"), [(None, False), (True, True), (False, True)])
def test_r9_non_customizable_tools_always_create_non_marketing(tool, setting, requested):
    decision = decide_new_contact(tool=tool, source_id="x", tool_setting=setting, requested_marketing=requested)

    assert (decision.status, decision.needs_permission) == (NON_MARKETING, False)


# --- Switching (R10–R13) -----------------------------------------------------------------------------

SWITCH_TABLE = [
    # current, to_marketing, effect, new status
    (NON_MARKETING, True, Effect.NOW, MARKETING),  # R10
    (MARKETING, True, Effect.NOTHING, MARKETING),  # R13
    (PENDING, True, Effect.CANCEL_PENDING, MARKETING),  # R12
    (NON_MARKETING, False, Effect.NOTHING, NON_MARKETING),  # R13
    (MARKETING, False, Effect.AT_NEXT_UPDATE, PENDING),  # R11
    (PENDING, False, Effect.NOTHING, PENDING),  # R13
]


@pytest.mark.parametrize(("current", "to_marketing", "effect", "new_status"), SWITCH_TABLE)
def test_r10_to_r13_switch_table(current, to_marketing, effect, new_status):
    decision = decide_switch(current=current, to_marketing=to_marketing)

    assert (decision.effect, decision.new_status) == (effect, new_status)
    assert decision.changes is (effect is not Effect.NOTHING)


def test_r10_to_marketing_is_immediate():
    assert decide_switch(current=NON_MARKETING, to_marketing=True).new_status == Status(True, False)


def test_r11_set_non_marketing_keeps_marketing_until_the_update_date():
    assert decide_switch(current=MARKETING, to_marketing=False).new_status == Status(True, True)


def test_r12_set_marketing_on_pending_contact_clears_the_pending_flag():
    assert decide_switch(current=PENDING, to_marketing=True).new_status == Status(True, False)


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r13_switching_to_the_status_reached_changes_nothing(to_marketing):
    for current in (NON_MARKETING, MARKETING, PENDING):
        reached = decide_switch(current=current, to_marketing=to_marketing).new_status
        again = decide_switch(current=reached, to_marketing=to_marketing)
        assert (again.effect, again.new_status, again.changes) == (Effect.NOTHING, reached, False)


@pytest.mark.parametrize("to_marketing", [True, False])
def test_r1_switching_a_contact_without_status_is_refused(to_marketing):
    with pytest.raises(ValueError, match=r"not enabled"):
        decide_switch(current=UNSET, to_marketing=to_marketing)


def test_r10_r12_sources_of_set_marketing_are_non_marketing_and_pending():
    assert sources_of_switch(to_marketing=True) == ((NON_MARKETING, PENDING), MARKETING)


def test_r11_sources_of_set_non_marketing_are_marketing_only():
    assert sources_of_switch(to_marketing=False) == ((MARKETING,), PENDING)


@pytest.mark.parametrize("setting", [None, False, True])
@pytest.mark.parametrize("stated", [False, True])
def test_b1_r8_an_integration_stating_the_status_overrides_its_setting_and_needs_the_scope(setting, stated):
    decision = decide_new_contact(
        tool=CreationTool.INTEGRATION, source_id="app-1", tool_setting=setting, stated_marketing=stated
    )

    assert decision.status == (MARKETING if stated else NON_MARKETING)
    assert (decision.reason_type, decision.reason_id) == (ReasonType.INTEGRATOR_SET, "app-1")
    assert decision.needs_permission is True


@pytest.mark.parametrize("tool", sorted(set(CreationTool) - {CreationTool.INTEGRATION}))
def test_b1_only_integrations_may_state_the_status_of_new_contacts(tool):
    stated = decide_new_contact(tool=tool, source_id="x", stated_marketing=True)

    assert stated == decide_new_contact(tool=tool, source_id="x")


# --- B4, the tier guard ------------------------------------------------------------------------------

# Every combination of (guard on, confirmed, crosses the tier, attended), written out from the spec.
TIER_GUARD_TABLE = {
    (False, False, False, False): TierGuard.PROCEED,
    (False, False, False, True): TierGuard.PROCEED,
    (False, False, True, False): TierGuard.PROCEED,  # the guard off: the tier grows silently (R24)
    (False, False, True, True): TierGuard.PROCEED,
    (False, True, False, False): TierGuard.PROCEED,
    (False, True, False, True): TierGuard.PROCEED,
    (False, True, True, False): TierGuard.PROCEED,
    (False, True, True, True): TierGuard.PROCEED,
    (True, False, False, False): TierGuard.PROCEED,  # within the tier: nothing to confirm
    (True, False, False, True): TierGuard.PROCEED,
    (True, False, True, False): TierGuard.HOLD,  # unattended intake keeps the contact, non-marketing
    (True, False, True, True): TierGuard.REFUSE,  # a person or API client is asked to confirm
    (True, True, False, False): TierGuard.PROCEED,
    (True, True, False, True): TierGuard.PROCEED,
    (True, True, True, False): TierGuard.PROCEED,  # confirmed (an import confirmed when it started)
    (True, True, True, True): TierGuard.PROCEED,
}


def test_b4_the_table_covers_every_combination():
    assert set(TIER_GUARD_TABLE) == set(itertools.product((False, True), repeat=4))


@pytest.mark.parametrize(("case", "expected"), sorted(TIER_GUARD_TABLE.items()), ids=str)
def test_b4_tier_guard_decision(case, expected):
    guard_enabled, confirmed, crosses_tier, attended = case

    decision = decide_tier_guard(
        guard_enabled=guard_enabled, confirmed=confirmed, crosses_tier=crosses_tier, attended=attended
    )

    assert decision is expected


@pytest.mark.parametrize(("guard_enabled", "confirmed"), list(itertools.product((False, True), repeat=2)))
def test_b4_the_guard_asks_only_when_on_and_unconfirmed(guard_enabled, confirmed):
    asks = tier_guard_asks(guard_enabled=guard_enabled, confirmed=confirmed)

    assert asks is (guard_enabled and not confirmed)
    if not asks:  # callers skip measuring the impact then: the decision must not depend on it
        for crosses_tier, attended in itertools.product((False, True), repeat=2):
            decision = decide_tier_guard(
                guard_enabled=guard_enabled, confirmed=confirmed, crosses_tier=crosses_tier, attended=attended
            )
            assert decision is TierGuard.PROCEED
