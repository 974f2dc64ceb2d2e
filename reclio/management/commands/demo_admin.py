from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reclio.services import demo_admin_ensure


class Command(BaseCommand):
    help = "Create a superuser for a demo (no createsuperuser prompts) unless one exists; prints the password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default=None, help="default: a random one, printed once")

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        admin = demo_admin_ensure(username=username, password=password)
        if admin.created:
            self.stdout.write(self.style.SUCCESS(f"Demo admin created: {admin.username} / {admin.password}"))
        else:
            self.stdout.write("A superuser already exists; nothing created.")
