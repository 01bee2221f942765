"""`python -m bench`: set up Django, then run every scenario (see `bench.engine.run`)."""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from bench.engine import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
