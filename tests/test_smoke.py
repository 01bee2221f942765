from contacts.models import Contact
from contacts.services import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing
from billing.services import renewals_run
from billing.models import BillingPeriod


def test_lifecycle(subscription, marketer_actor):
    contacts = contacts_create(
        data=[{"email": f"P{i}@Example.com"} for i in range(20)], tool=CreationTool.MANUAL, actor=marketer_actor
    )
    assert {c.marketable_status for c in contacts} == {False}
    result = contacts_set_marketing(contacts=Contact.objects.all(), actor=marketer_actor, chunk_size=7)
    assert result.changed == 20
    result = contacts_set_non_marketing(contacts=[c.pk for c in contacts[:5]], actor=marketer_actor)
    assert result.changed == 5
    assert Contact.objects.filter(marketable_until_renewal=True).count() == 5
    period = BillingPeriod.objects.get()
    outcomes = renewals_run(as_of=period.update_at, chunk_size=2)
    assert [o.flipped for o in outcomes] == [5]
    assert Contact.objects.filter(marketable_status=False).count() == 5
    assert renewals_run(as_of=period.update_at) == []
