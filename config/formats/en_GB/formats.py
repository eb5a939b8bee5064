"""Date-times name their zone wherever Django writes one with the default format (admin lists
and pages, `{{ value }}` in templates): "14 Mar 2026, 23:59 CET"."""

DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATETIME_FORMAT = "d/m/Y H:i T"
