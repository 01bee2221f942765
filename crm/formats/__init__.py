"""The account's date formats, one set for every screen, message and email (settings.FORMAT_MODULE_PATH).

The en-us locale's own formats ("N j, Y") would win over settings.DATE_FORMAT, so the formats live in a
format module that Django reads before its locale's. Templates use `|date:"DATE_FORMAT"` or
`|date:"DATETIME_FORMAT"` (or plain `|date`), Python `django.utils.formats.date_format` on a local time.
"""
