"""What a notification says, in each channel's shape: the webhook's JSON, Slack's incoming-webhook
payload, an email's subject and text. Pure: signing and sending are the adapters'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from src.domain.alerting.condition import RuleKind, parse_condition
from src.domain.wire import rfc3339

TEST = "test"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    tenant_id: UUID
    alert_id: UUID
    rule_id: UUID | None
    rule_name: str
    status: str  # firing, resolved, or test
    condition: str
    query: str
    value: float | None
    at: datetime


def format_value(condition: str, value: float | None) -> str:
    if value is None:
        return "-"
    if parse_condition(condition).kind is RuleKind.ERROR_RATIO:
        return f"{value * 100:.2f}%"
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def headline(n: Notification) -> str:
    if n.status == TEST:
        return f"[logplane] test notification to channel {n.rule_name!r}"
    word = "FIRING" if n.status == "firing" else "RESOLVED"
    return f"[logplane] {word}: {n.rule_name} ({n.condition}; value {format_value(n.condition, n.value)})"


def webhook_body(n: Notification) -> dict[str, Any]:
    return {
        "version": 1,
        "status": n.status,
        "alert_id": str(n.alert_id),
        "tenant_id": str(n.tenant_id),
        "rule": {"id": str(n.rule_id) if n.rule_id else None, "name": n.rule_name},
        "condition": n.condition,
        "query": n.query,
        "value": n.value,
        "at": rfc3339(n.at),
        "summary": headline(n),
    }


def slack_payload(n: Notification) -> dict[str, Any]:
    """Slack's incoming-webhook shape (`text` plus blocks); Mattermost and others accept it too."""
    fields = [
        {"type": "mrkdwn", "text": f"*Condition*\n`{n.condition}`"},
        {"type": "mrkdwn", "text": f"*Value*\n{format_value(n.condition, n.value)}"},
        {"type": "mrkdwn", "text": f"*Query*\n`{n.query or '*'}`"},
        {"type": "mrkdwn", "text": f"*At*\n{rfc3339(n.at)}"},
    ]
    return {
        "text": headline(n),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline(n)}*"}},
            {"type": "section", "fields": fields},
        ],
    }


def email_text(n: Notification) -> str:
    return "\n".join(
        [
            headline(n),
            "",
            f"Rule:      {n.rule_name}",
            f"Status:    {n.status}",
            f"Condition: {n.condition}",
            f"Query:     {n.query or '*'}",
            f"Value:     {format_value(n.condition, n.value)}",
            f"At:        {rfc3339(n.at)}",
            f"Alert id:  {n.alert_id}",
        ]
    )
