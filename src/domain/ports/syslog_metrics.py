"""Port: what the syslog listener reports about itself (received, dropped and refused messages)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class SyslogMetrics(Protocol):
    @abstractmethod
    def received(self, *, transport: str, messages: int) -> None:
        """Messages read off the wire (before any check)."""

    @abstractmethod
    def dropped(self, *, transport: str, reason: str, messages: int) -> None:
        """Messages never handed to ingest: a full queue (UDP), an over-long frame cut short."""

    @abstractmethod
    def refused(self, *, reason: str, messages: int) -> None:
        """Messages whose credential was missing, wrong or not allowed to ingest: not stored."""

    @abstractmethod
    def queued(self, *, depth: int) -> None:
        """How many messages wait for ingest."""


class NoSyslogMetrics(SyslogMetrics):
    def received(self, *, transport: str, messages: int) -> None:
        return None

    def dropped(self, *, transport: str, reason: str, messages: int) -> None:
        return None

    def refused(self, *, reason: str, messages: int) -> None:
        return None

    def queued(self, *, depth: int) -> None:
        return None
