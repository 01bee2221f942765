"""Steps run before their details stopped naming rules read like the newer ones on the history page."""

from django.db import migrations

RENAMED = {
    "Set as marketing (R10)": "Set as marketing",
    "Stays marketing: the pending switch to non-marketing was cancelled (R12)": (
        "Stays marketing: the pending switch to non-marketing was cancelled"
    ),
    "Already marketing (R13)": "Already marketing",
    "Set as non-marketing from the next update date (R11)": "Set as non-marketing from the next update date",
    "Already non-marketing or pending (R13)": "Already non-marketing or pending",
    "Marketing contacts are not enabled for this account (R1)": "Marketing contacts are not enabled for this account",
}


def rename_details(apps, schema_editor):
    step = apps.get_model("workflows", "EnrollmentStep")
    for old, new in RENAMED.items():
        step.objects.filter(detail=old).update(detail=new)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(rename_details, migrations.RunPython.noop)]
