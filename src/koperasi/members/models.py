"""Members of a cooperative: identity (NIK), contact, and lifecycle."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Member(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        RESIGNED = "resigned", _("Resigned")
        DECEASED = "deceased", _("Deceased")
        EXPELLED = "expelled", _("Expelled")

    class Office(models.TextChoices):
        NONE = "", _("None")
        BOARD = "pengurus", _("Board (pengurus)")
        SUPERVISOR = "pengawas", _("Supervisor (pengawas)")

    class Sex(models.TextChoices):
        MALE = "L", _("Male")
        FEMALE = "P", _("Female")

    cooperative = models.ForeignKey("tenancy.Cooperative", on_delete=models.PROTECT)
    number = models.CharField(_("member number"), max_length=20)
    name = models.CharField(_("full name"), max_length=150)
    nik = models.CharField("NIK", max_length=16)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    phone = models.CharField(_("mobile phone"), max_length=16, blank=True, db_index=False)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("street address"), max_length=255, blank=True)
    village = models.CharField(_("village (desa/kelurahan)"), max_length=100, blank=True)
    district = models.CharField(_("district (kecamatan)"), max_length=100)
    regency = models.CharField(_("regency/city"), max_length=100)
    province = models.CharField(_("province"), max_length=100)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLICANT)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    exited_on = models.DateField(_("exited on"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=255, blank=True)
    # Board and supervisors are related parties: their loans together are capped.
    office = models.CharField(_("office"), max_length=10, choices=Office.choices, blank=True)
    nik_warnings = models.JSONField(default=list, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cooperative", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "nik"], name="uniq_member_nik"),
            models.UniqueConstraint(fields=["cooperative", "number"], name="uniq_member_number"),
            # Lists in registration order, one cooperative among many; unique, so that a row
            # of another table can refer to (cooperative, member) together: its tenant must be
            # its member's (savings migration 0005).
            models.UniqueConstraint(fields=["cooperative", "id"], name="uniq_member_coop_id"),
        ]
        indexes = [
            models.Index(fields=["cooperative", "phone"], name="member_phone"),
            models.Index(fields=["cooperative", "name"], name="member_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_member(self) -> bool:
        return self.status == self.Status.ACTIVE
