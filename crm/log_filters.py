"""Logging filters, importable while logging is configured (before the apps are loaded)."""

import logging


def _short(reason: str) -> str:
    return reason.strip().rstrip(".") or "Permission denied"


class RefusalLogFilter(logging.Filter):
    """On `django.request`: a 403 logs as one line, "Forbidden (<reason>): <path>", without a traceback
    (the refusal is expected, not an error). Other records pass unchanged; 5xx keep their tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        exception = record.exc_info[1] if record.exc_info else None
        reason = getattr(request, "refusal_log_reason", None)
        if reason is None and exception is not None:
            reason = getattr(exception, "log_reason", None) or _short(str(exception))
        record.msg, record.args = "Forbidden (%s): %s", (reason or "Permission denied", getattr(request, "path", ""))
        record.exc_info, record.exc_text = None, None
        return True
