from django.db import migrations, models


def fill_contract_tier_limit(apps, schema_editor):
    """The limit the contract included: before the first upgrade, else the limit in force."""
    Subscription = apps.get_model("billing", "Subscription")
    TierUpgrade = apps.get_model("billing", "TierUpgrade")
    for subscription in Subscription.objects.all():
        first = TierUpgrade.objects.filter(subscription=subscription).order_by("happened_at", "pk").first()
        subscription.contract_tier_limit = first.old_limit if first else subscription.contact_tier_limit
        subscription.save(update_fields=["contract_tier_limit"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="contract_tier_limit",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(fill_contract_tier_limit, migrations.RunPython.noop),
    ]
