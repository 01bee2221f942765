"""Date formats of the English screens: "5 Mar 2026" and "5 Mar 2026, 14:30", in the account's time zone."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
# The short form for chart axes, where the year is the chart's: "5 Mar".
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
