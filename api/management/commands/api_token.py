from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user (printed once) or revoke one by its prefix."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        revoke = commands.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named “{options['username']}”.")
            _token, secret = ApiToken.issue(user=user, name=options["name"])
            self.stdout.write(secret)
            self.stderr.write("Copy it now: it is shown this once and stored hashed.")
            return
        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"No token with the prefix “{options['prefix']}”.")
        token.revoke()
        self.stdout.write(f"Revoked {token}.")
