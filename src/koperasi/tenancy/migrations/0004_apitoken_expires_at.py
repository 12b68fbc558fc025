import datetime as dt

from django.conf import settings
from django.db import migrations, models


def expire_existing(apps, schema_editor):
    # Tokens issued before tokens expired get the same lifetime, counted from their issue.
    ApiToken = apps.get_model("tenancy", "ApiToken")
    lifetime = dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + lifetime)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0003_cooperative_days_closed_through_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
