from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class Company(models.Model):
    """A company that contacts work for, as multi-object and multi-file imports create them (R4, R9).

    `domain` is the company's web domain, lower-cased and without scheme, `www.` or path
    (`companies.services.normalize_domain`); like HubSpot's company domain name it identifies the
    company, so it is unique when present. A company without a domain is known by its name.
    """

    name = models.CharField(max_length=200, blank=True)
    domain = models.CharField("Company domain name", max_length=253, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    contacts = models.ManyToManyField("contacts.Contact", through="CompanyContact", related_name="companies")

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(condition=Q(domain=Lower("domain")), name="company_domain_lowercase"),
        ]
        indexes = [models.Index(Lower("name"), name="company_name_lower_idx")]

    def __str__(self) -> str:
        return self.name or self.domain or f"Company {self.pk}"


class CompanyContact(models.Model):
    """The association of a contact with a company (HubSpot's contact-to-company association)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="company_memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "contact"], name="company_contact_unique")]
        indexes = [models.Index(fields=["contact"], name="company_contact_contact_idx")]

    def __str__(self) -> str:
        return f"contact {self.contact_id} at company {self.company_id}"
