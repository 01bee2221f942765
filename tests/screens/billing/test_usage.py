"""Usage & limits (R23, B3) and its tier guard toggle (B4), with and without login and permission."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from billing.models import Subscription
from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from marketing_status.actors import Actor, ActorKind
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.renewal import renewals_run
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing, marketing_contacts_enable
from tests.factories import UserFactory, contacts_make

pytestmark = pytest.mark.django_db

USAGE = reverse("billing:usage")
TIER_GUARD = reverse("billing:tier_guard")
FORM = Actor(ActorKind.FORM, "form-7")
IMPORT = Actor(ActorKind.IMPORT, "import-3")


def _at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


@pytest.fixture
def usage_data(frozen_clock, system_actor, marketer, marketer_actor):
    """A month of history: limit 10 in blocks of 5, one closed period, one tier upgrade, B3 sources.

    10 Mar 12:00  subscription enabled (period 1 opens with 0); 4 manual marketing contacts, 2
                  non-marketing; one marketing contact set as non-marketing (pending)
    12 Mar 09:00  6 contacts from HubSpot form form-7 (count 10, the limit: no upgrade)
    15 Mar 00:00  renewal: period 1 closes at 10 with 1 flipped; period 2 opens at 9
    20 Mar 10:00  import import-3 creates 3 marketing contacts (count 12: the tier grows to 15); one
                  of them set as non-marketing and back (R12, not an addition); the 2 non-marketing
                  contacts set as marketing by the marketer (count 14); one form contact set pending
    20 Mar 12:00  the page is read
    """
    subscription = subscription_create(
        hub_tier=HubTier.STARTER,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=10,
        tier_block_size=5,
    )
    marketing_contacts_enable(actor=system_actor)
    manual = contacts_make(count=4, actor=marketer_actor, marketing=True)
    others = contacts_make(count=2, actor=marketer_actor)
    contacts_set_non_marketing(contacts=[manual[0].pk], actor=marketer_actor)
    frozen_clock.move_to(_at(12, 9))
    forms = contacts_create(
        data=[{"email": f"form{i}@example.com"} for i in range(6)],
        tool=CreationTool.HUBSPOT_FORM,
        source_id="form-7",
        actor=FORM,
    )
    frozen_clock.move_to(_at(15, 0))
    renewals_run()
    frozen_clock.move_to(_at(20, 10))
    imported = contacts_create(
        data=[{"email": f"import{i}@example.com"} for i in range(3)],
        tool=CreationTool.IMPORT,
        source_id="import-3",
        marketing=True,
        actor=IMPORT,
    )
    contacts_set_non_marketing(contacts=[imported[0].pk], actor=marketer_actor)
    contacts_set_marketing(contacts=[imported[0].pk], actor=marketer_actor)
    contacts_set_marketing(contacts=[contact.pk for contact in others], actor=marketer_actor)
    contacts_set_non_marketing(contacts=[forms[0].pk], actor=marketer_actor)
    frozen_clock.move_to(_at(20, 12))
    subscription.refresh_from_db()
    return subscription


def _svg(response, chart_id: str) -> ET.Element:
    """The inline SVG chart `chart_id`, parsed as XML (so it is well-formed)."""
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', response.content.decode(), re.DOTALL)
    assert match, f"no chart {chart_id}"
    return ET.fromstring(match.group(0))


def _rows(response, table_id: str) -> list[list[str]]:
    """The body rows of table `table_id` as lists of cell texts."""
    table = re.search(rf'<table class="grid" id="{table_id}">.*?</table>', response.content.decode(), re.DOTALL)
    assert table, f"no table {table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.DOTALL).group(1)
    return [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    ]


# --- Access -------------------------------------------------------------------------------------------


def test_r23_usage_page_requires_login(client, subscription):
    response = client.get(USAGE)
    assertRedirects(response, f"{reverse('login')}?next={USAGE}", fetch_redirect_response=False)


def test_r23_any_signed_in_user_may_view_usage(client, usage_data):
    client.force_login(UserFactory())  # no permission at all
    response = client.get(USAGE)
    assert response.status_code == 200
    assertContains(response, "<h1>Usage &amp; limits</h1>", html=True)


def test_r23_usage_page_without_a_subscription_says_so(client):
    client.force_login(UserFactory())
    response = client.get(USAGE)
    assert response.status_code == 200
    assertContains(response, "No subscription is set up yet.")
    assertNotContains(response, 'id="manage-marketing-contacts"')


# --- R23 figures ----------------------------------------------------------------------------------------


def test_r23_usage_shows_tier_limit_counts_pending_update_date_and_current_period(client, sales_user, usage_data):
    client.force_login(sales_user)
    response = client.get(USAGE)
    usage = response.context["usage"]
    assert (usage.tier_limit, usage.marketing_count, usage.pending_count) == (15, 14, 1)
    assert usage.next_update_date == dt.date(2026, 4, 15)
    assert (usage.current_period.starts_at, usage.current_period.update_date) == (_at(15, 0), dt.date(2026, 4, 15))
    content = response.content.decode()
    for kpi, value in [
        ("kpi-tier-limit", "15"),
        ("kpi-marketing", "14"),
        ("kpi-pending", "1"),
        ("kpi-update-date", "15 Apr 2026"),
        ("kpi-period", "15 Mar 2026 – 15 Apr 2026"),
    ]:
        block = re.search(rf'id="{kpi}">(.*?)</div>\s*</div>', content, re.DOTALL).group(1)
        assert re.search(r'<div class="value">(.*?)</div>', block).group(1) == value, kpi
    assertContains(response, "93% of your tier")  # 14 of 15


def test_r23_usage_lists_billing_periods_with_their_counts(client, sales_user, usage_data):
    client.force_login(sales_user)
    response = client.get(USAGE)
    assert _rows(response, "period-table") == [
        ["15 Mar 2026 → 15 Apr 2026", "9", "14", "open", "0"],
        ["10 Mar 2026 → 15 Mar 2026", "0", "10", "10", "1"],
    ]


def test_r23_period_chart_is_an_accessible_svg_with_one_bar_group_per_period(client, sales_user, usage_data):
    client.force_login(sales_user)
    svg = _svg(client.get(USAGE), "period-chart")
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "period-chart-title period-chart-desc"
    assert svg.find("title").text == "Marketing contacts per billing period"
    assert "tier limit, 15" in svg.find("desc").text
    groups = svg.findall("g[@class='bar-group']")
    assert [[rect.find("title").text for rect in group.findall("rect")] for group in groups] == [
        ["Count at open: 0", "Peak: 10", "Count at close: 10"],
        ["Count at open: 9", "Peak: 14"],  # the open period has no count at close yet
    ]
    assert [group.find("text").text for group in groups] == ["10 Mar – 15 Mar", "15 Mar – 15 Apr"]
    # Bars share one baseline and scale: the tallest (14 of a 15 maximum) is 14/15 of the plot.
    heights = {rect.find("title").text: float(rect.get("height")) for group in groups for rect in group.findall("rect")}
    assert heights["Peak: 14"] == pytest.approx(160 * 14 / 15, abs=0.1)
    assert heights["Count at open: 0"] == 0
    assert svg.find("g[@class='limit']/text").text == "Tier limit 15"


# --- B3 -------------------------------------------------------------------------------------------------


def test_b3_usage_lists_marketing_contacts_added_per_day_and_source(client, sales_user, marketer, usage_data):
    client.force_login(sales_user)
    response = client.get(USAGE)
    # Not counted: the R12 cancel (marketing → marketing), pending switches, the renewal flip, R1.
    # Sources by label and name; "form-7" and "import-3" name no form or import (deleted ones).
    user = marketer.get_full_name() or marketer.username
    assert _rows(response, "additions-table") == [
        ["20 Mar 2026", "Contact import", "Deleted import", "3"],
        ["20 Mar 2026", "Set by a user", user, "2"],
        ["12 Mar 2026", "Form submission", "Deleted form", "6"],
        ["10 Mar 2026", "Set by a user", user, "4"],  # R3: a manual creation's source is its creator
    ]


def test_b3_additions_chart_has_one_stacked_bar_per_day(client, sales_user, marketer, usage_data):
    client.force_login(sales_user)
    svg = _svg(client.get(USAGE), "additions-chart")
    assert svg.get("role") == "img" and svg.find("title").text == "Marketing contacts added per day, last 30 days"
    groups = svg.findall("g[@class='bar-group']")
    assert len(groups) == 30
    segments = {
        index: [rect.find("title").text for rect in group.findall("rect")]
        for index, group in enumerate(groups)
        if group.findall("rect")
    }
    user = marketer.get_full_name() or marketer.username
    assert segments == {
        19: [f"10 Mar: 4 from Set by a user: {user}"],
        21: ["12 Mar: 6 from Form submission: Deleted form"],
        29: ["20 Mar: 3 from Contact import: Deleted import", f"20 Mar: 2 from Set by a user: {user}"],
    }
    # The busiest day fills the plot; its segments stack on the baseline without overlapping.
    import_bar, user_bar = groups[29].findall("rect")
    assert float(import_bar.get("height")) + float(user_bar.get("height")) == pytest.approx(160 * 5 / 6, abs=0.2)
    assert float(user_bar.get("y")) + float(user_bar.get("height")) == pytest.approx(float(import_bar.get("y")))


def test_b3_additions_cover_only_the_last_30_days(client, sales_user, usage_data, frozen_clock):
    frozen_clock.move_to(_at(10, 12, month=4))  # the window now starts on 11 March
    client.force_login(sales_user)
    response = client.get(USAGE)
    assert [row[:3] for row in _rows(response, "additions-table")][-1] == [
        "12 Mar 2026",
        "Form submission",
        "Deleted form",
    ]
    assertNotContains(response, "10 Mar 2026</td>")


def test_b3_usage_without_additions_says_so(client, sales_user, frozen_subscription):
    client.force_login(sales_user)
    response = client.get(USAGE)
    assertContains(response, "No contacts became marketing contacts in the last 30 days.")
    assert not _svg(response, "additions-chart").findall("g[@class='bar-group']/rect")


# --- R24 ------------------------------------------------------------------------------------------------


def test_r24_usage_lists_tier_upgrades_with_time_limits_count_and_cause(client, sales_user, usage_data):
    client.force_login(sales_user)
    response = client.get(USAGE)
    assert _rows(response, "upgrades-table") == [
        ["20 Mar 2026, 10:00", "10 → 15", "12", "Contact import: Deleted import"]
    ]


def test_r24_usage_without_upgrades_says_so(client, sales_user, frozen_subscription):
    client.force_login(sales_user)
    assertContains(client.get(USAGE), "Your contact tier has not been upgraded.")


def test_r23_usage_page_queries_do_not_grow_with_rows(client, sales_user, usage_data, django_assert_num_queries):
    client.force_login(sales_user)
    client.get(USAGE)
    with CaptureQueriesContext(connection) as baseline:
        client.get(USAGE)
    for form in range(5):  # five more sources, days of additions and a tier upgrade
        contacts_create(
            data=[{"email": f"more{form}@example.com"}],
            tool=CreationTool.HUBSPOT_FORM,
            source_id=f"form-{form}",
            actor=Actor(ActorKind.FORM, f"form-{form}"),
        )
    with django_assert_num_queries(len(baseline.captured_queries)):
        assert client.get(USAGE).status_code == 200


# --- B4 tier guard ------------------------------------------------------------------------------------------


def _guard() -> bool:
    return Subscription.objects.get().tier_guard_enabled


def test_b4_tier_guard_toggle_requires_login(client, frozen_subscription):
    response = client.post(TIER_GUARD, {"enabled": "on"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert _guard() is False


def test_b4_tier_guard_toggle_is_refused_without_permission(client, sales_user, frozen_subscription, db_state):
    before = db_state()
    client.force_login(sales_user)
    response = client.post(TIER_GUARD, {"enabled": "on"})
    assert response.status_code == 403
    assertContains(response, "Marketing contact access permission", status_code=403)
    assert _guard() is False
    assert db_state() == before


def test_b4_user_with_permission_turns_the_tier_guard_on_and_off(client, marketer, frozen_subscription, db_state):
    before = db_state()
    client.force_login(marketer)
    response = client.post(TIER_GUARD, {"enabled": "on"})
    assertRedirects(response, USAGE, fetch_redirect_response=False)
    assert _guard() is True
    assert db_state() == before  # records nothing else
    page = client.get(USAGE)
    assertInHTML('<strong id="tier-guard-state">on</strong>', page.content.decode())
    assertContains(page, "The tier guard is on.")
    client.post(TIER_GUARD, {"enabled": "off"})
    assert _guard() is False


def test_b4_r30_staff_without_marketing_access_may_not_change_the_tier_guard(client, frozen_subscription):
    """The guard decides whether the bill may grow unasked: being staff is not enough (R30)."""
    client.force_login(UserFactory(is_staff=True))
    page = client.post(TIER_GUARD, {"enabled": "on"})
    assertContains(page, "Marketing contact access", status_code=403)
    assert _guard() is False
    assert client.get(USAGE).context["may_change_guard"] is False


def test_b4_permission_through_a_group_allows_the_toggle(client, frozen_subscription):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Marketing")
    group.permissions.add(Permission.objects.get(codename="marketing_contact_access"))
    user = UserFactory()
    user.groups.add(group)
    client.force_login(user)
    client.post(TIER_GUARD, {"enabled": "on"})
    assert _guard() is True


@pytest.mark.parametrize("data", [{}, {"enabled": "maybe"}])
def test_b4_tier_guard_toggle_rejects_invalid_input(client, marketer, frozen_subscription, data):
    client.force_login(marketer)
    assert client.post(TIER_GUARD, data).status_code == 400
    assert _guard() is False


def test_b4_tier_guard_toggle_accepts_only_post(client, marketer, frozen_subscription):
    client.force_login(marketer)
    assert client.get(TIER_GUARD, {"enabled": "on"}).status_code == 405
    assert _guard() is False


def test_b4_tier_guard_button_is_disabled_without_permission(client, sales_user, marketer, frozen_subscription):
    client.force_login(sales_user)
    content = client.get(USAGE).content.decode()
    button = re.search(r'<button type="submit" id="tier-guard-toggle"[^>]*>', content).group(0)
    assert "disabled" in button
    assertContains(client.get(USAGE), "Changing it needs the Marketing contact access permission.")
    client.force_login(marketer)
    content = client.get(USAGE).content.decode()
    assert "disabled" not in re.search(r'<button type="submit" id="tier-guard-toggle"[^>]*>', content).group(0)
