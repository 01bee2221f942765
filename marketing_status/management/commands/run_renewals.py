from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marketing_status.renewal import renewals_run


class Command(BaseCommand):
    help = "R14: flip pending contacts and roll every billing period whose update date has come."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="ISO-8601 date-time to run as of (default: now)")
        parser.add_argument("--chunk-size", type=int, default=None, help="contacts flipped per transaction")

    def handle(self, *args, as_of=None, chunk_size=None, verbosity=1, **options):
        moment = timezone.now()
        if as_of:
            moment = parse_datetime(as_of)
            if moment is None:
                raise CommandError(f"--as-of {as_of!r} is not an ISO-8601 date-time")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)

        def report(flipped: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"chunk flipped {flipped}")
                self.stdout.flush()

        outcomes = renewals_run(as_of=moment, chunk_size=chunk_size, on_chunk=report)
        for outcome in outcomes:
            self.stdout.write(
                f"period {outcome.period_id} closed: {outcome.flipped} flipped, "
                f"{outcome.count_at_close} billed; period {outcome.next_period_id} open"
            )
        if not outcomes:
            self.stdout.write("no billing period due")
