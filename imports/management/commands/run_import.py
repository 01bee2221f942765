"""`manage.py run_import ID`: run (or resume) an import in this process, as the worker would.

With `--verbosity 2` it prints one line per committed chunk ("chunk committed <rows so far>").
"""

from django.core.management.base import BaseCommand

from imports.services import import_run


class Command(BaseCommand):
    help = "Run or resume an import to its end."

    def add_arguments(self, parser):
        parser.add_argument("import_id", type=int)
        parser.add_argument("--chunk-rows", type=int, default=None)

    def handle(self, *args, import_id: int, chunk_rows: int | None, verbosity: int, **options):
        def report(imp) -> None:
            if verbosity >= 2:
                self.stdout.write(f"chunk committed {imp.rows}")
                self.stdout.flush()

        imp = import_run(import_id=import_id, chunk_rows=chunk_rows, on_chunk=report)
        self.stdout.write(
            f"import {imp.pk} {imp.state}: {imp.rows} rows, {imp.created} created, {imp.updated} updated, "
            f"{imp.errors} errors"
        )
