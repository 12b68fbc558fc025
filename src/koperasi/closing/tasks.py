"""The close as a background task (django-tasks; `koperasi worker` runs the queue)."""

from django_tasks import task

from koperasi.closing import services
from koperasi.closing.models import CloseRun


@task()
def run_close(run_id: int) -> None:
    run = CloseRun.objects.select_related("cooperative", "started_by").get(pk=run_id)
    services.execute(run, actor=run.started_by)
