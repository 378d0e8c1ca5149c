import uuid

from django.db import models
from django.utils import timezone

STATUSES = [("new", "New"), ("up", "Up"), ("down", "Down")]


class Check(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100, blank=True)
    last_ping = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=6, choices=STATUSES, default="new")
    timeout = models.PositiveIntegerField(default=60, help_text="seconds")

    def __str__(self):
        return f"{self.name or self.code} ({self.status})"


class Ping(models.Model):
    owner = models.ForeignKey(Check, on_delete=models.CASCADE)
    created = models.DateTimeField(default=timezone.now)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    ua = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    scheme = models.CharField(max_length=10, default="http")
