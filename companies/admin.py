from django.contrib import admin

from companies.models import Company, CompanyContact


class CompanyContactInline(admin.TabularInline):
    model = CompanyContact
    raw_id_fields = ("contact",)
    readonly_fields = ("created_at",)
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "created_at")
    search_fields = ("name", "domain")
    readonly_fields = ("created_at", "updated_at")
    inlines = (CompanyContactInline,)
