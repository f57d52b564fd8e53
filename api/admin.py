"""API tokens in the back office: each user sees and revokes their own, administrators every one.
The secret is shown once, right after the token is created."""

from django.contrib import admin, messages
from django.utils import timezone

from api.models import ApiToken

MANAGE_ALL = "api.manage_all_apitokens"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created", "last_used", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["prefix", "created", "last_used", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.has_perm(MANAGE_ALL) else queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"] if request.user.has_perm(MANAGE_ALL) else ["name"]
        return ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the list keeps who had access

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        user = obj.user if request.user.has_perm(MANAGE_ALL) and obj.user_id else request.user
        token, secret = ApiToken.issue(user=user, name=obj.name)
        obj.pk, obj.prefix, obj.created = token.pk, token.prefix, token.created
        messages.warning(
            request, f"The token for {user} is {secret} — copy it now: it is shown this once and never again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"{count} token(s) revoked.")
