"""`manage.py seed_demo` refuses what it must not do: too few contacts, or an installation that has data.

Apart from test_seed_demo.py, whose tests share one seeded account: these need an empty database.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.demo.helpers import counts, seed


def test_seed_demo_refuses_fewer_contacts_than_creation_tools(db, var_dir):
    with pytest.raises(Exception, match="at least 50"):
        call_command("seed_demo", contacts=10, stdout=StringIO())
    assert counts()["contacts"] == 0


def test_seed_demo_leaves_an_installation_with_data_alone(subscription, var_dir):
    before = counts()

    output = seed()

    assert "already has data" in output
    assert counts() == before
    assert not (var_dir / "demo-credentials.txt").exists()
