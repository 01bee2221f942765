"""Helpers of the lead-capture screens' tests."""

import re


def rule_ids_shown(page: str) -> list[str]:
    """Rule ids (R5, R30, B4…) in a page's visible text: its tags and their attributes (tokens, ids) left out."""
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", " ", page, flags=re.S)
    return re.findall(r"\b(?:R\d+|B[1-4])\b", text)
