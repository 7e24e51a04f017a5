from django.core.management.base import BaseCommand

from fund_manager.core.roles import sync_roles


class Command(BaseCommand):
    help = "Create the role groups and set their permissions from fund_manager.core.roles."

    def handle(self, *args, **options):
        sync_roles(verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("Roles synchronised."))
